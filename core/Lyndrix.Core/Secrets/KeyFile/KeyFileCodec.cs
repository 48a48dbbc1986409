using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace Lyndrix.Core.Secrets.KeyFile;

/// <summary>
/// The original's <c>vault_keys.enc</c> envelope, byte for byte: <c>salt[16] | nonce[16] | tag[16] | ciphertext</c>, key =
/// Argon2id(UTF-8 master key, salt), AES-256-GCM with a 16-byte nonce (pycryptodome's default) and no associated data.
/// .NET's AesGcm only takes 12-byte nonces, so GCM comes from BouncyCastle: a new cipher per operation (BouncyCastle refuses
/// to re-initialise one with the same key and nonce) and a fresh random salt and nonce per encryption.
/// </summary>
/// <remarks>
/// A wrong master key and a modified file cannot be told apart: both only make the GCM tag check fail, and the format has no
/// key-check value or header to consult. No sound way exists without changing the format (or keeping a second file), so the
/// error says "wrong key or altered file". Truncation is told apart because it breaks the fixed 48-byte header.
/// </remarks>
internal static class KeyFileCodec
{
    public const int SaltLength = 16;
    public const int NonceLength = 16;
    public const int TagLength = 16;
    public const int HeaderLength = SaltLength + NonceLength + TagLength;

    public static byte[] Encrypt(ReadOnlySpan<byte> plaintext, string masterKey, Argon2Parameters parameters)
    {
        Span<byte> salt = stackalloc byte[SaltLength];
        Span<byte> nonce = stackalloc byte[NonceLength];
        RandomNumberGenerator.Fill(salt);
        RandomNumberGenerator.Fill(nonce);
        return Encrypt(plaintext, masterKey, parameters, salt, nonce);
    }

    /// <summary>Encrypts with a given salt and nonce. Only known-answer tests call this directly: reusing a nonce with the same
    /// key breaks GCM.</summary>
    internal static byte[] Encrypt(ReadOnlySpan<byte> plaintext, string masterKey, Argon2Parameters parameters, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> nonce)
    {
        MasterKeyPolicy.Ensure(masterKey);
        if (salt.Length != SaltLength || nonce.Length != NonceLength)
        {
            throw new ArgumentException($"Salt and nonce must be {SaltLength} bytes each.");
        }

        var key = Argon2idKeyDerivation.DeriveKey(masterKey, salt, parameters);
        try
        {
            var gcm = new GcmBlockCipher(new AesEngine());
            gcm.Init(true, new AeadParameters(new KeyParameter(key), TagLength * 8, nonce.ToArray()));
            var sealedBytes = new byte[gcm.GetOutputSize(plaintext.Length)];
            var input = plaintext.ToArray();
            try
            {
                var written = gcm.ProcessBytes(input, 0, input.Length, sealedBytes, 0);
                gcm.DoFinal(sealedBytes, written);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(input);
            }

            // BouncyCastle appends the tag; the file keeps it in front of the ciphertext.
            var ciphertextLength = sealedBytes.Length - TagLength;
            var blob = new byte[HeaderLength + ciphertextLength];
            salt.CopyTo(blob.AsSpan(0, SaltLength));
            nonce.CopyTo(blob.AsSpan(SaltLength, NonceLength));
            sealedBytes.AsSpan(ciphertextLength, TagLength).CopyTo(blob.AsSpan(SaltLength + NonceLength, TagLength));
            sealedBytes.AsSpan(0, ciphertextLength).CopyTo(blob.AsSpan(HeaderLength));
            return blob;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <param name="source">Names the file in error messages, e.g. its path.</param>
    public static byte[] Decrypt(ReadOnlySpan<byte> blob, string masterKey, Argon2Parameters parameters, string source = "the key file")
    {
        if (blob.Length < HeaderLength)
        {
            throw new KeyFileException(KeyFileProblem.Truncated,
                $"{Capitalize(source)} is truncated: it has {blob.Length} bytes, but the salt, nonce and tag alone take {HeaderLength}. " +
                "It was cut short (an interrupted copy, a full disk) or is not a vault_keys.enc file. Restore it from a backup.");
        }

        var salt = blob[..SaltLength];
        var nonce = blob.Slice(SaltLength, NonceLength).ToArray();
        var tag = blob.Slice(SaltLength + NonceLength, TagLength);
        var ciphertext = blob[HeaderLength..];

        var key = Argon2idKeyDerivation.DeriveKey(masterKey, salt, parameters);
        var input = new byte[ciphertext.Length + TagLength];
        ciphertext.CopyTo(input);
        tag.CopyTo(input.AsSpan(ciphertext.Length));
        var plaintext = new byte[ciphertext.Length];
        try
        {
            var gcm = new GcmBlockCipher(new AesEngine());
            gcm.Init(false, new AeadParameters(new KeyParameter(key), TagLength * 8, nonce));
            var written = gcm.ProcessBytes(input, 0, input.Length, plaintext, 0);
            gcm.DoFinal(plaintext, written);
            return plaintext;
        }
        catch (InvalidCipherTextException ex)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw new KeyFileException(KeyFileProblem.IncorrectKeyOrTampered,
                $"{Capitalize(source)} could not be decrypted: either the master key is wrong or the file was altered " +
                "(AES-GCM cannot tell these apart). Check LYNDRIX_MASTER_KEY (and LYNDRIX_ARGON_TIME/_MEM/_PARALLEL, which must " +
                "match the values the file was written with); if the key is right, restore the file from a backup.", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
