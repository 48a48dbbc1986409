using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>
/// AES-256-GCM for the embedded store: <c>nonce[12] | ciphertext | tag[16]</c> (base64 of it in the version 1 JSON file, raw
/// in the SQLite store, so a migrated record is the same bytes). A format of our own, so the platform's AesGcm with its
/// standard 12-byte random nonce is used (safe far beyond the number of writes a host makes). The associated data binds a
/// record to its path and version, so it cannot be moved to another path or replayed as another version.
/// </summary>
internal static class EmbeddedCipher
{
    public const int NonceLength = 12;
    public const int TagLength = 16;

    private const string KeyCheckPlaintext = "lyndrix-embedded-secrets key check";
    private const string KeyCheckAssociatedData = "lyndrix-embedded-secrets/1 key_check";

    public static byte[] Seal(AesGcm aead, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var output = new byte[NonceLength + plaintext.Length + TagLength];
        var nonce = output.AsSpan(0, NonceLength);
        RandomNumberGenerator.Fill(nonce);
        aead.Encrypt(nonce, plaintext, output.AsSpan(NonceLength, plaintext.Length), output.AsSpan(NonceLength + plaintext.Length), associatedData);
        return output;
    }

    /// <summary>Decrypts into <paramref name="plaintext"/>, which must be <see cref="PlaintextLength"/> bytes long.</summary>
    /// <exception cref="CryptographicException">Wrong key, or the record was altered or moved.</exception>
    public static void Open(AesGcm aead, ReadOnlySpan<byte> sealedValue, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        var length = PlaintextLength(sealedValue.Length);
        aead.Decrypt(sealedValue[..NonceLength], sealedValue.Slice(NonceLength, length), sealedValue[(NonceLength + length)..], plaintext, associatedData);
    }

    /// <exception cref="CryptographicException">The record is too short to be one.</exception>
    public static int PlaintextLength(int sealedLength) =>
        sealedLength >= NonceLength + TagLength
            ? sealedLength - NonceLength - TagLength
            : throw new CryptographicException("The stored value is too short.");

    public static AesGcm NewAead(byte[] key) => new(key, TagLength);

    public static byte[] SealKeyCheck(AesGcm aead) => Seal(aead, Encoding.UTF8.GetBytes(KeyCheckPlaintext), Encoding.UTF8.GetBytes(KeyCheckAssociatedData));

    /// <summary>True when <paramref name="sealedValue"/> is the key check made under the same key.</summary>
    public static bool IsKeyCheck(AesGcm aead, ReadOnlySpan<byte> sealedValue)
    {
        try
        {
            var plaintext = new byte[PlaintextLength(sealedValue.Length)];
            Open(aead, sealedValue, Encoding.UTF8.GetBytes(KeyCheckAssociatedData), plaintext);
            return plaintext.AsSpan().SequenceEqual(Encoding.UTF8.GetBytes(KeyCheckPlaintext));
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>The associated data of a secret version; unchanged since format 1, so migrated records still open.</summary>
    public static byte[] SecretAssociatedData(string path, int version) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"lyndrix-embedded-secrets/1 secret\n{path}\n{version}"));
}
