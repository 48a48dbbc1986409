using Isopoh.Cryptography.Argon2;

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
        var config = new Argon2Config
        {
            Type = Argon2Type.HybridAddressing,
            Version = Argon2Version.Nineteen,
            TimeCost = parameters.TimeCost,
            MemoryCost = parameters.MemoryKib,
            Lanes = parameters.Parallelism,
            Threads = Math.Clamp(Environment.ProcessorCount, 1, parameters.Parallelism),
            Password = password,
            Salt = salt.ToArray(),
            HashLength = KeyLength,
            ClearPassword = true,
        };
        using var argon2 = new Argon2(config);
        using var hash = argon2.Hash();
        return hash.Buffer.ToArray();
    }
}
