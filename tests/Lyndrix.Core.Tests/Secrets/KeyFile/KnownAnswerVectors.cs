namespace Lyndrix.Core.Tests.Secrets.KeyFile;

/// <summary>
/// Vectors computed with implementations independent of ours (see make-vectors.sh beside this file): the reference Argon2
/// C CLI (<c>argon2 SALT -id -t T -k M -p P -l 32 -r</c>), Node's AES-256-GCM with a 16-byte IV, and CPython's json.dumps.
/// </summary>
internal static class KnownAnswerVectors
{
    public const string Password = "correct horse battery";
    public const string Salt = "lyndrix-salt-16b";

    // argon2 'lyndrix-salt-16b' -id -t 3 -k 65536 -p 4 -l 32 -r  <<< 'correct horse battery'
    public const string DefaultKey = "95222102d8b98028e223f2a6d453a0a68b6232f41fb1f9a65c943a0b761b0361";

    // argon2 '0123456789abcdef' -id -t 3 -k 65536 -p 4 -l 32 -r  <<< 'Ünïcödé-Schlüssel-✓'
    public const string UnicodePassword = "Ünïcödé-Schlüssel-✓";
    public const string UnicodeSalt = "0123456789abcdef";
    public const string UnicodeKey = "35bc6e3c884c3d5182d692c9093f7a9467dd0ed12d8f6ab4c45557d388105af1";

    // t=1, 1024 KiB, p=2: fast enough for tamper tests.
    public const string SmallKey = "4548e78187fbf9a7f7f67393ad8b6d348eddabd8672cb84f3d3921fb55307a43";

    // 'another-master-key', salt 'SALTSALTSALTSALT', t=2, 64 KiB, p=1.
    public const string TinyKey = "03e84267257cb18a79aa63eae9e7297b2fb624feca58a09abff207d55af8d386";

    // t=3, 65536 KiB, p=1: the lane count changes the output.
    public const string SingleLaneKey = "1af8fe112dace005d877670207d617f09e519cd68293f9a97192f286c8c3d8e0";

    public const string PlaintextA =
        "{\"root_token\": \"hvs.CAESIExampleRootTokenForTests\", \"unseal_keys\": [\"5c1e0b7a9d3f24c68e01b2a3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7\"]}";

    public const string NonceA = "f0e1d2c3b4a5968778695a4b3c2d1e0f";

    // Default parameters: salt | nonce | tag | ciphertext, as the Python original writes it.
    public const string BlobA =
        "6c796e647269782d73616c742d313662f0e1d2c3b4a5968778695a4b3c2d1e0f84cc19082d47edb707b8c03d5ac078bd81e096573cea4c3c83010dce9d" +
        "22b8a88bee80956a563893cdaf7fedf268124fc3494e6b478d0c99dd0d3c3c4e6f0fe599e9ea451c7fc6f5fb9d4a89de8b4cdf50f41c89bd178171c41a" +
        "d82f6a17266d60c7bded1c6c9c823634ed0b9357bf8f6b78fc04571db65e9019e4be1191f33755091c54127050c84c1767ae3344073479f8d0eec8511584";

    public const string PlaintextB = "{\"root_token\": \"hvs.Small\", \"unseal_keys\": [\"aa\", \"bb\"]}";
    public const string NonceB = "00112233445566778899aabbccddeeff";

    // Small parameters (t=1, 1024 KiB, p=2).
    public const string BlobB =
        "6c796e647269782d73616c742d31366200112233445566778899aabbccddeeff586666077628d6f68f1d2a66909143c0f566981633768d6c880a3bc4a1" +
        "017dca77023ee85a42d0b09068e941f1b205fa3e1b493d62a5f4237e9a37e15e407d9ec0c1407322c69756";

    public const string PlaintextC = "{\"root_token\": \"\", \"unseal_keys\": []}";
    public const string NonceC = "ffffffffffffffffffffffffffffffff";

    public const string BlobC =
        "6c796e647269782d73616c742d313662ffffffffffffffffffffffffffffffffb63509bba049205ae0b13ddd3330e6ba0941f53317a52b820111d11fbef1" +
        "4b96ae0d868364fd6dd24aae1080c2340b3c639d82bea2";

    // CPython: json.dumps({"root_token": "t\u00e4\U0001F600\"\\\n\t\x01\x7f/\u2028", "unseal_keys": ["a", "b", "c"]})
    public const string EscapedToken = "tä😀\"\\\n\t\u0001\u007f/\u2028";
    public const string EscapedJson =
        "{\"root_token\": \"t\\u00e4\\ud83d\\ude00\\\"\\\\\\n\\t\\u0001\\u007f/\\u2028\", \"unseal_keys\": [\"a\", \"b\", \"c\"]}";
}
