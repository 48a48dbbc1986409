namespace Lyndrix.Core.Auth;

/// <summary>What <see cref="LowPriorityThreads.LowerCurrent"/> got for a thread.</summary>
internal enum CpuPriority
{
    /// <summary>Unchanged: the system offers no way (not Linux) or refused.</summary>
    Normal,

    /// <summary><c>nice 10</c>.</summary>
    Lowered,
}
