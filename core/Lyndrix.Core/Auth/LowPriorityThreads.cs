using System.Runtime.InteropServices;

namespace Lyndrix.Core.Auth;

/// <summary>
/// The one rule for the CPU priority of work that must not crowd out the API (password hashing): on Linux the calling thread
/// takes <c>nice 10</c> (an unprivileged thread may always lower its own priority), about a tenth of a core's share against a
/// normal thread when both want it; elsewhere (other systems, no libc) it keeps its priority. Not lower: at <c>SCHED_IDLE</c> (or
/// <c>nice 19</c>) a hash gets next to nothing while other work keeps the cores busy, and a correct password then outlasted the
/// provider timeout and was answered 401 (seen in CI: a three-host cluster test under the whole suite's load), while the storm
/// p99 was no better than at <c>nice 10</c> (README, Benchmarks).
/// </summary>
internal static partial class LowPriorityThreads
{
    private const int PrioProcess = 0;
    private const int HashingNice = 10;

    /// <summary>Lowers the calling thread to <c>nice 10</c> where the system allows and returns what it got.</summary>
    public static CpuPriority LowerCurrent()
    {
        if (!OperatingSystem.IsLinux())
        {
            return CpuPriority.Normal;
        }

        try
        {
            // Linux schedules threads, not processes: the calling thread's id.
            return setpriority(PrioProcess, gettid(), HashingNice) == 0 ? CpuPriority.Lowered : CpuPriority.Normal;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return CpuPriority.Normal;
        }
    }

    /// <summary>The calling thread's priority as the system reports it (tests read it on the hashing threads).</summary>
    public static CpuPriority Current() =>
        OperatingSystem.IsLinux() && getpriority(PrioProcess, gettid()) >= HashingNice ? CpuPriority.Lowered : CpuPriority.Normal;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getpriority(int which, int who);

    [LibraryImport("libc")]
    private static partial int gettid();
}
