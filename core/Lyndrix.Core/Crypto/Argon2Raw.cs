using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Isopoh.Cryptography.Argon2;

namespace Lyndrix.Core.Crypto;

/// <summary>
/// Raw Argon2 output (no secret, no associated data), the one implementation behind the key file's KDF and password hashes.
/// It calls the reference C library (<c>libargon2.so.1</c>, Debian package <c>libargon2-1</c>) when the system has it, because
/// the defender's slowness is the attacker's margin: a managed Argon2 several times slower than C forces weaker parameters.
/// Otherwise it uses the managed Isopoh implementation; both give identical bytes (tested). How many threads one hash uses does
/// not change its bytes (lanes do): password hashes run on the calling thread alone, so the hashing pool's threads are all the
/// CPU they take; the key file's KDF, run once at start, uses a thread per lane.
/// </summary>
internal static partial class Argon2Raw
{
    private const string NativeLibraryName = "libargon2.so.1";
    private static readonly Lazy<bool> NativeAvailable = new(ProbeNative);

    /// <summary>Which implementation <see cref="Hash"/> uses: <c>libargon2</c> or <c>managed</c>.</summary>
    public static string Implementation => NativeAvailable.Value ? "libargon2" : "managed";

    /// <param name="threads">Threads the computation may use, at most <paramref name="parallelism"/>; null: one per lane.</param>
    public static byte[] Hash(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, Argon2Variant variant, int version, int timeCost, int memoryKib,
        int parallelism, int length, int? threads = null) =>
        NativeAvailable.Value
            ? HashNative(password, salt, variant, version, timeCost, memoryKib, parallelism, length, threads)
            : HashManaged(password, salt, variant, version, timeCost, memoryKib, parallelism, length, threads);

    internal static bool IsNativeAvailable => NativeAvailable.Value;

    internal static byte[] HashManaged(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, Argon2Variant variant, int version, int timeCost, int memoryKib,
        int parallelism, int length, int? threads = null)
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
            Threads = Math.Clamp(threads ?? Environment.ProcessorCount, 1, parallelism),
            Password = password.ToArray(),
            Salt = salt.ToArray(),
            HashLength = length,
            ClearPassword = true,
        };
        using var argon2 = new Argon2(config);
        using var hash = argon2.Hash();
        return hash.Buffer.ToArray();
    }

    internal static unsafe byte[] HashNative(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, Argon2Variant variant, int version, int timeCost, int memoryKib,
        int parallelism, int length, int? threads = null)
    {
        var output = new byte[length];
        int code;
        fixed (byte* pwd = password)
        fixed (byte* saltBytes = salt)
        fixed (byte* outBytes = output)
        {
            var context = new Argon2Context
            {
                Out = outBytes, OutLength = (uint)length,
                Password = pwd, PasswordLength = (uint)password.Length,
                Salt = saltBytes, SaltLength = (uint)salt.Length,
                TimeCost = (uint)timeCost, MemoryKib = (uint)memoryKib, Lanes = (uint)parallelism,
                Threads = (uint)Math.Clamp(threads ?? parallelism, 1, Math.Max(1, parallelism)),
                Version = (uint)version,
                Allocate = ThreadHashMemory.IsKept ? ThreadHashMemory.Allocate : IntPtr.Zero,
                Free = ThreadHashMemory.IsKept ? ThreadHashMemory.Free : IntPtr.Zero,
            };
            code = NativeContext(&context, (int)variant);
        }

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

    [LibraryImport(NativeLibraryName, EntryPoint = "argon2_ctx")]
    private static unsafe partial int NativeContext(Argon2Context* context, int type);

    /// <summary><c>argon2_context</c> of <c>argon2.h</c> (no secret, no associated data, the library's allocator, no flags).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct Argon2Context
    {
        public byte* Out;
        public uint OutLength;
        public byte* Password;
        public uint PasswordLength;
        public byte* Salt;
        public uint SaltLength;
        public byte* Secret;
        public uint SecretLength;
        public byte* AssociatedData;
        public uint AssociatedDataLength;
        public uint TimeCost;
        public uint MemoryKib;
        public uint Lanes;
        public uint Threads;
        public uint Version;
        public IntPtr Allocate;
        public IntPtr Free;
        public uint Flags;
    }
}
