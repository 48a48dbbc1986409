using System.Security.Cryptography;
using System.Text;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>AES-256-GCM for the embedded store: <c>base64(nonce[12] | ciphertext | tag[16])</c>. A format of our own, so the
/// platform's AesGcm with its standard 12-byte random nonce is used (safe far beyond the number of writes a host makes).</summary>
internal static class EmbeddedCipher
{
    private const int NonceLength = 12;
    private const int TagLength = 16;

    public static string Seal(byte[] key, ReadOnlySpan<byte> plaintext, string associatedData)
    {
        var output = new byte[NonceLength + plaintext.Length + TagLength];
        var nonce = output.AsSpan(0, NonceLength);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagLength);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceLength, plaintext.Length), output.AsSpan(NonceLength + plaintext.Length), Encoding.UTF8.GetBytes(associatedData));
        return Convert.ToBase64String(output);
    }

    /// <exception cref="CryptographicException">Wrong key, or the value was altered or moved.</exception>
    public static byte[] Open(byte[] key, string sealedValue, string associatedData)
    {
        byte[] input;
        try
        {
            input = Convert.FromBase64String(sealedValue);
        }
        catch (FormatException ex)
        {
            throw new CryptographicException("The stored value is not base64.", ex);
        }

        if (input.Length < NonceLength + TagLength)
        {
            throw new CryptographicException("The stored value is too short.");
        }

        var length = input.Length - NonceLength - TagLength;
        var plaintext = new byte[length];
        using var aes = new AesGcm(key, TagLength);
        aes.Decrypt(input.AsSpan(0, NonceLength), input.AsSpan(NonceLength, length), input.AsSpan(NonceLength + length), plaintext, Encoding.UTF8.GetBytes(associatedData));
        return plaintext;
    }
}
