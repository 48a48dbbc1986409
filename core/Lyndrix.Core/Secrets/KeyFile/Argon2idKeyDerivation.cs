using Lyndrix.Core.Crypto;

namespace Lyndrix.Core.Secrets.KeyFile;

/// <summary>Raw Argon2id (version 0x13), no secret and no associated data: the KDF of the original's <c>vault_keys.enc</c>.</summary>
internal static class Argon2idKeyDerivation
{
    public const int KeyLength = 32;

    public static byte[] DeriveKey(string masterKey, ReadOnlySpan<byte> salt, Argon2Parameters parameters)
    {
        ArgumentNullException.ThrowIfNull(masterKey);
        ArgumentNullException.ThrowIfNull(parameters);
        var password = MasterKeyPolicy.Utf8(masterKey);
        try
        {
            return Argon2Raw.Hash(password, salt, Argon2Variant.Id, 0x13, parameters.TimeCost, parameters.MemoryKib, parameters.Parallelism, KeyLength);
        }
        finally
        {
            Array.Clear(password);
        }
    }
}
