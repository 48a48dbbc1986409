namespace Attacker;

/// <summary>A libc call that failed, with its errno (13, EACCES, and 1, EPERM, are the kernel's refusals).</summary>
internal sealed class NativeRefusal(string what, int errno, string? also)
    : Exception($"{what}: errno {errno}" + (also is null ? "" : $" ({also})"))
{
    public int Errno { get; } = errno;
}
