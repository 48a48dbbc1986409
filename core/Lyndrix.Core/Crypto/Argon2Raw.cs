using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Isopoh.Cryptography.Argon2;

namespace Lyndrix.Core.Crypto;

/// <summary>
/// Raw Argon2 output (no secret, no associated data), the one implementation behind the key file's KDF and password hashes.
/// It calls the reference C library (<c>libargon2.so.1</c>, Debian package <c>libargon2-1</c>) when the system has it, because
/// the defender's slowness is the attacker's margin: a managed Argon2 several times slower than C forces weaker parameters.
/// Otherwise it uses the managed Isopoh implementation; both give identical bytes (tested).
/// </summary>
internal static partial class Argon2Raw
{
    private const string NativeLibraryName = "libargon2.so.1";
    private static readonly Lazy<bool> NativeAvailable = new(ProbeNative);

    /// <summary>Which implementation <see cref="Hash"/> uses: <c>libargon2</c> or <c>managed</c>.</summary>
    public static string Implementation => NativeAvailable.Value ? "libargon2" : "managed";

    public static byte[] Hash(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, Argon2Variant variant, int version, int timeCost, int memoryKib, int parallelism, int length) =>
        NativeAvailable.Value
            ? HashNative(password, salt, variant, version, timeCost, memoryKib, parallelism, length)
            : HashManaged(password, salt, variant, version, timeCost, memoryKib, parallelism, length);

    internal static bool IsNativeAvailable => NativeAvailable.Value;

    internal static byte[] HashManaged(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, Argon2Variant variant, int version, int timeCost, int memoryKib, int parallelism, int length)
    {
        var config = new Argon2Config
        {
            Type = variant switch
            {
                Argon2Variant.D => Argon2Type.DataDependentAddressing,
                Argon2Variant.I => Argon2Type.DataIndependentAddressing,
                _ => Argon2Type.HybridAddressing,
            },
            Version = version == 0x10 ? Argon2Version.Sixteen : Argon2Version.Nineteen,
            TimeCost = timeCost,
            MemoryCost = memoryKib,
            Lanes = parallelism,
            Threads = Math.Clamp(Environment.ProcessorCount, 1, parallelism),
            Password = password.ToArray(),
            Salt = salt.ToArray(),
            HashLength = length,
            ClearPassword = true,
        };
        using var argon2 = new Argon2(config);
        using var hash = argon2.Hash();
        return hash.Buffer.ToArray();
    }

    internal static byte[] HashNative(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, Argon2Variant variant, int version, int timeCost, int memoryKib, int parallelism, int length)
    {
        var output = new byte[length];
        var code = NativeHash((uint)timeCost, (uint)memoryKib, (uint)parallelism, password, (nuint)password.Length, salt, (nuint)salt.Length,
            output, (nuint)length, IntPtr.Zero, 0, (int)variant, version);
        if (code != 0)
        {
            throw new CryptographicException(
                $"libargon2 refused the parameters (error {code}): t={timeCost}, m={memoryKib} KiB, p={parallelism}, salt {salt.Length} bytes, output {length} bytes.");
        }

        return output;
    }

    private static bool ProbeNative()
    {
        if (Environment.GetEnvironmentVariable("LYNDRIX_ARGON2_IMPLEMENTATION") is "managed")
        {
            return false;
        }

        try
        {
            // A tiny known computation proves the library loads and matches the managed one before any real use.
            ReadOnlySpan<byte> probe = "lyndrix-argon2-probe"u8;
            return HashNative(probe, probe, Argon2Variant.Id, 0x13, 1, 64, 1, 16)
                .AsSpan().SequenceEqual(HashManaged(probe, probe, Argon2Variant.Id, 0x13, 1, 64, 1, 16));
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    [LibraryImport(NativeLibraryName, EntryPoint = "argon2_hash")]
    private static partial int NativeHash(
        uint timeCost, uint memoryKib, uint parallelism,
        ReadOnlySpan<byte> password, nuint passwordLength,
        ReadOnlySpan<byte> salt, nuint saltLength,
        Span<byte> hash, nuint hashLength,
        IntPtr encoded, nuint encodedLength,
        int type, int version);
}
