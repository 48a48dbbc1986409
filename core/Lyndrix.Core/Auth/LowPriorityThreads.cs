using System.Runtime.InteropServices;

namespace Lyndrix.Core.Auth;

/// <summary>
/// Lowers the CPU priority (nice) of the calling thread on Linux. Threads the Argon2 C library starts for the lanes of one
/// hash inherit it. An unprivileged process may always lower its own priority; where it cannot (other systems), hashing
/// still runs, just at normal priority.
/// </summary>
internal static partial class LowPriorityThreads
{
    private const int PrioProcess = 0;

    public static bool TryLowerCurrent(int nice)
    {
        long? gettid = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 186,
            Architecture.Arm64 => 178,
            _ => null,
        };
        if (!OperatingSystem.IsLinux() || gettid is null)
        {
            return false;
        }

        try
        {
            var tid = (int)syscall(gettid.Value);
            return setpriority(PrioProcess, tid, nice) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);
}
