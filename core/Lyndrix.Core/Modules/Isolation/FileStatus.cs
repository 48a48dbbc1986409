using System.Runtime.InteropServices;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>What the kernel says of a file (Linux <c>statx</c>, whose layout is the same on every architecture): its owner, type,
/// mode, size and modification time (in <see cref="DateTime"/> ticks, the precision .NET sets it with).</summary>
internal readonly partial record struct FileStatus(uint Owner, bool IsRegularFile, UnixFileMode Mode, long Size, long ModifiedTicks)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;
    private const int TypeMask = 0xF000, RegularFile = 0x8000;
    private const int Enoent = 2, Enotdir = 20;

    /// <summary>The file at <paramref name="path"/>, or, with <paramref name="followLinks"/> false, the link itself if it is
    /// one; null when nothing is there.</summary>
    /// <exception cref="IOException">The kernel could not say (errno other than ENOENT/ENOTDIR).</exception>
    public static FileStatus? Of(string path, bool followLinks)
    {
        Span<byte> buffer = stackalloc byte[256];
        if (statx(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno is Enoent or Enotdir ? null : throw new IOException($"statx {path} failed with errno {errno}", errno);
        }

        // struct statx: uid u32 @20, mode u16 @28, size u64 @40, mtime {i64 sec, u32 nsec} @112.
        var mode = MemoryMarshal.Read<ushort>(buffer[28..]);
        var seconds = MemoryMarshal.Read<long>(buffer[112..]);
        var nanoseconds = MemoryMarshal.Read<uint>(buffer[120..]);
        return new FileStatus(MemoryMarshal.Read<uint>(buffer[20..]), (mode & TypeMask) == RegularFile, (UnixFileMode)(mode & 0xFFF),
            (long)MemoryMarshal.Read<ulong>(buffer[40..]), DateTime.UnixEpoch.Ticks + (seconds * TimeSpan.TicksPerSecond) + (nanoseconds / 100));
    }

    /// <summary>The modification time as a UTC <see cref="DateTime"/>.</summary>
    public DateTime Modified => new(ModifiedTicks, DateTimeKind.Utc);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
}
