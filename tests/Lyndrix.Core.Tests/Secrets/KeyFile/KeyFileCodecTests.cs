using System.Text;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.KeyFile;
using static Lyndrix.Core.Tests.Secrets.KeyFile.KnownAnswerVectors;

namespace Lyndrix.Core.Tests.Secrets.KeyFile;

public class KeyFileCodecTests
{
    private static readonly Argon2Parameters Small = new(1, 1024, 2);

    private static byte[] Hex(string hex) => Convert.FromHexString(hex);

    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    [Test]
    public void Argon2id_matches_the_reference_C_implementation_at_the_default_parameters()
    {
        var key = Argon2idKeyDerivation.DeriveKey(Password, Ascii(Salt), Argon2Parameters.Default);
        Assert.That(Convert.ToHexStringLower(key), Is.EqualTo(DefaultKey));
    }

    [Test]
    public void Argon2id_hashes_the_master_key_as_UTF8()
    {
        var key = Argon2idKeyDerivation.DeriveKey(UnicodePassword, Ascii(UnicodeSalt), Argon2Parameters.Default);
        Assert.That(Convert.ToHexStringLower(key), Is.EqualTo(UnicodeKey));
    }

    [TestCase(1, 1024, 2, Password, Salt, SmallKey)]
    [TestCase(2, 64, 1, "another-master-key", "SALTSALTSALTSALT", TinyKey)]
    [TestCase(3, 65536, 1, Password, Salt, SingleLaneKey)]
    public void Argon2id_matches_the_reference_at_other_parameters(int time, int memory, int lanes, string password, string salt, string expected)
    {
        var key = Argon2idKeyDerivation.DeriveKey(password, Ascii(salt), new Argon2Parameters(time, memory, lanes));
        Assert.That(Convert.ToHexStringLower(key), Is.EqualTo(expected));
    }

    [Test]
    public void A_file_written_like_the_original_decrypts_at_the_default_parameters()
    {
        var plaintext = KeyFileCodec.Decrypt(Hex(BlobA), Password + "", Argon2Parameters.Default);
        Assert.That(Encoding.UTF8.GetString(plaintext), Is.EqualTo(PlaintextA));
    }

    [Test]
    public void Encrypting_with_the_same_salt_and_nonce_reproduces_the_reference_bytes()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Convert.ToHexStringLower(KeyFileCodec.Encrypt(Encoding.UTF8.GetBytes(PlaintextB), Password, Small, Ascii(Salt), Hex(NonceB))),
                Is.EqualTo(BlobB));
            Assert.That(Convert.ToHexStringLower(KeyFileCodec.Encrypt(Encoding.UTF8.GetBytes(PlaintextC), Password, Small, Ascii(Salt), Hex(NonceC))),
                Is.EqualTo(BlobC));
            Assert.That(Encoding.UTF8.GetString(KeyFileCodec.Decrypt(Hex(BlobB), Password, Small)), Is.EqualTo(PlaintextB));
            Assert.That(Encoding.UTF8.GetString(KeyFileCodec.Decrypt(Hex(BlobC), Password, Small)), Is.EqualTo(PlaintextC));
        });
    }

    [Test]
    public void Each_encryption_uses_a_fresh_salt_and_nonce()
    {
        var pt = Encoding.UTF8.GetBytes(PlaintextB);
        var a = KeyFileCodec.Encrypt(pt, Password, Small);
        var b = KeyFileCodec.Encrypt(pt, Password, Small);
        Assert.Multiple(() =>
        {
            Assert.That(a.AsSpan(0, 16).SequenceEqual(b.AsSpan(0, 16)), Is.False, "salt reused");
            Assert.That(a.AsSpan(16, 16).SequenceEqual(b.AsSpan(16, 16)), Is.False, "nonce reused");
            Assert.That(a, Has.Length.EqualTo(48 + pt.Length));
            Assert.That(Encoding.UTF8.GetString(KeyFileCodec.Decrypt(a, Password, Small)), Is.EqualTo(PlaintextB));
        });
    }

    [TestCase(0, "salt, first byte")]
    [TestCase(15, "salt, last byte")]
    [TestCase(16, "nonce, first byte")]
    [TestCase(31, "nonce, last byte")]
    [TestCase(32, "tag, first byte")]
    [TestCase(47, "tag, last byte")]
    [TestCase(48, "ciphertext, first byte")]
    [TestCase(-1, "ciphertext, last byte")]
    public void A_flipped_bit_in_any_region_is_reported_as_wrong_key_or_altered_file(int offset, string region)
    {
        var blob = Hex(BlobB);
        blob[offset < 0 ? blob.Length + offset : offset] ^= 0x01;
        var ex = Assert.Throws<KeyFileException>(() => KeyFileCodec.Decrypt(blob, Password, Small))!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.Problem, Is.EqualTo(KeyFileProblem.IncorrectKeyOrTampered), region);
            Assert.That(ex.Reason, Is.EqualTo("incorrect_key_or_tampered_file"));
            Assert.That(ex.Message, Does.Contain("master key is wrong or the file was altered"));
        });
    }

    [Test]
    public void A_wrong_master_key_gets_the_same_clear_message_and_never_echoes_the_key()
    {
        const string wrong = "this is not the key!";
        var ex = Assert.Throws<KeyFileException>(() => KeyFileCodec.Decrypt(Hex(BlobB), wrong, Small))!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.Problem, Is.EqualTo(KeyFileProblem.IncorrectKeyOrTampered));
            Assert.That(ex.Message, Does.Contain("LYNDRIX_MASTER_KEY"));
            Assert.That(ex.ToString(), Does.Not.Contain(wrong));
        });
    }

    [Test]
    public void Different_Argon2_parameters_than_the_writer_used_fail_like_a_wrong_key()
    {
        var ex = Assert.Throws<KeyFileException>(() => KeyFileCodec.Decrypt(Hex(BlobB), Password, new Argon2Parameters(1, 1024, 1)))!;
        Assert.That(ex.Message, Does.Contain("LYNDRIX_ARGON_TIME"));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(47)]
    public void A_file_shorter_than_the_header_is_reported_as_truncated(int length)
    {
        var ex = Assert.Throws<KeyFileException>(() => KeyFileCodec.Decrypt(Hex(BlobB).AsSpan(0, length), Password, Small))!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.Problem, Is.EqualTo(KeyFileProblem.Truncated));
            Assert.That(ex.Message, Does.Contain($"{length} bytes").And.Contain("48"));
        });
    }

    [Test]
    public void Plaintext_is_laid_out_exactly_like_python_json_dumps()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Encoding.ASCII.GetString(KeyMaterialJson.Serialize(new KeyMaterial("hvs.CAESIExampleRootTokenForTests",
                ["5c1e0b7a9d3f24c68e01b2a3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7"]))), Is.EqualTo(PlaintextA));
            Assert.That(Encoding.ASCII.GetString(KeyMaterialJson.Serialize(new KeyMaterial("hvs.Small", ["aa", "bb"]))), Is.EqualTo(PlaintextB));
            Assert.That(Encoding.ASCII.GetString(KeyMaterialJson.Serialize(new KeyMaterial("", []))), Is.EqualTo(PlaintextC));
            Assert.That(Encoding.ASCII.GetString(KeyMaterialJson.Serialize(new KeyMaterial(EscapedToken, ["a", "b", "c"]))), Is.EqualTo(EscapedJson));
            Assert.That(KeyMaterialJson.MinimumLength, Is.EqualTo(PlaintextC.Length));
        });
    }

    [Test]
    public void Plaintext_round_trips_escapes()
    {
        var parsed = KeyMaterialJson.Parse(Encoding.ASCII.GetBytes(EscapedJson));
        Assert.Multiple(() =>
        {
            Assert.That(parsed.RootToken, Is.EqualTo(EscapedToken));
            Assert.That(parsed.UnsealKeys, Is.EqualTo(new[] { "a", "b", "c" }));
        });
    }

    [TestCase("not json at all", "not valid JSON")]
    [TestCase("[1, 2]", "not an object")]
    [TestCase("{\"unseal_keys\": []}", "root_token")]
    [TestCase("{\"root_token\": 5, \"unseal_keys\": []}", "root_token")]
    [TestCase("{\"root_token\": \"t\"}", "unseal_keys")]
    [TestCase("{\"root_token\": \"t\", \"unseal_keys\": [1]}", "not a string")]
    [TestCase("{\"root_token\": \"t\", \"unseal_keys\": [], \"recovery_keys\": \"r\"}", "recovery_keys")]
    [TestCase("{\"root_token\": \"t\", \"unseal_keys\": [], \"recovery_keys\": [2]}", "not a string")]
    public void Bad_plaintext_is_reported_as_corrupt_without_quoting_it(string json, string expected)
    {
        var ex = Assert.Throws<KeyFileException>(() => KeyMaterialJson.Parse(Encoding.UTF8.GetBytes(json)))!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.Problem, Is.EqualTo(KeyFileProblem.Corrupt));
            Assert.That(ex.Message, Does.Contain(expected));
            Assert.That(ex.Message, Does.Contain("decrypted correctly"));
        });
    }

    [Test]
    public void Recovery_keys_of_an_auto_unseal_vault_round_trip_and_a_file_without_them_keeps_the_originals_bytes()
    {
        var withRecovery = KeyMaterialJson.Serialize(new KeyMaterial("hvs.r", [], ["rk1", "rk2"]));
        var parsed = KeyMaterialJson.Parse(withRecovery);
        Assert.Multiple(() =>
        {
            Assert.That(Encoding.ASCII.GetString(withRecovery), Is.EqualTo("{\"root_token\": \"hvs.r\", \"unseal_keys\": [], \"recovery_keys\": [\"rk1\", \"rk2\"]}"));
            Assert.That(parsed.RecoveryKeyList, Is.EqualTo(new[] { "rk1", "rk2" }));
            Assert.That(Encoding.ASCII.GetString(KeyMaterialJson.Serialize(new KeyMaterial("t", ["k"]))), Is.EqualTo("{\"root_token\": \"t\", \"unseal_keys\": [\"k\"]}"));
            Assert.That(KeyMaterialJson.Parse(Encoding.ASCII.GetBytes("{\"root_token\": \"t\", \"unseal_keys\": [\"k\"]}")).RecoveryKeys, Is.Null);
        });
    }

    [Test]
    public void Key_material_ToString_hides_the_secrets()
    {
        var text = new KeyMaterial("hvs.secret-root", ["unseal-secret"]).ToString();
        Assert.That(text, Does.Not.Contain("hvs.secret-root").And.Not.Contain("unseal-secret"));
    }
}
