namespace Lyndrix.Core.Auth;

/// <summary>Argon2id cost for new password hashes. The defaults are argon2-cffi's (t=3, m=64 MiB, p=4, 16-byte salt,
/// 32-byte hash), so hashes written here look exactly like the original's.</summary>
internal sealed record PasswordHashParameters(int TimeCost, int MemoryKib, int Parallelism, int SaltLength = 16, int HashLength = 32)
{
    public static PasswordHashParameters Default { get; } = new(3, 65536, 4);
}
