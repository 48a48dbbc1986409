namespace Lyndrix.Core.Auth;

/// <summary>What <see cref="LowPriorityThreads.LowerCurrent"/> got for a thread.</summary>
internal enum CpuPriority
{
    /// <summary>Unchanged: the system offers no way (not Linux) or refused.</summary>
    Normal,

    /// <summary><c>nice 19</c>: the smallest share of the CPU among normal threads.</summary>
    Lowest,

    /// <summary><c>SCHED_IDLE</c>: runs only on a core no normal thread wants, and any waking normal thread preempts it.</summary>
    Idle,
}
