using System.Runtime.InteropServices;

namespace Lyndrix.Core.Auth;

/// <summary>
/// The one rule for the CPU priority of work that must never delay the API (password hashing): on Linux the calling thread
/// takes the <c>SCHED_IDLE</c> policy, so a waking thread of normal priority (an API request) always preempts it at once; where
/// that is refused, it takes <c>nice 19</c> (an unprivileged thread may always lower its own priority); elsewhere (other
/// systems, no libc) it keeps its priority. Threads the Argon2 C library would start inherit the policy (password hashes start
/// none, see <see cref="PasswordHasher"/>).
/// </summary>
internal static partial class LowPriorityThreads
{
    private const int SchedIdle = 5;
    private const int PrioProcess = 0;
    private const int LowestNice = 19;

    /// <summary>Lowers the calling thread as far as the system allows and returns what it got.</summary>
    public static CpuPriority LowerCurrent()
    {
        if (!OperatingSystem.IsLinux())
        {
            return CpuPriority.Normal;
        }

        try
        {
            // pid 0: the calling thread (Linux schedules threads, not processes).
            var priority = 0;
            if (sched_setscheduler(0, SchedIdle, ref priority) == 0)
            {
                return CpuPriority.Idle;
            }

            return setpriority(PrioProcess, gettid(), LowestNice) == 0 ? CpuPriority.Lowest : CpuPriority.Normal;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return CpuPriority.Normal;
        }
    }

    /// <summary>The calling thread's priority as the system reports it (tests read it on the hashing threads).</summary>
    public static CpuPriority Current()
    {
        if (!OperatingSystem.IsLinux())
        {
            return CpuPriority.Normal;
        }

        if (sched_getscheduler(0) == SchedIdle)
        {
            return CpuPriority.Idle;
        }

        return getpriority(PrioProcess, gettid()) >= LowestNice ? CpuPriority.Lowest : CpuPriority.Normal;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setscheduler(int pid, int policy, ref int priority);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_getscheduler(int pid);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setpriority(int which, int who, int prio);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getpriority(int which, int who);

    [LibraryImport("libc")]
    private static partial int gettid();
}
