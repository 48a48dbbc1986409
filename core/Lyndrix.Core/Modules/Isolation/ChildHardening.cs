using System.Runtime.InteropServices;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>
/// The first thing a plugin's process does, before it reads its one-time secret (Linux): <c>prctl(PR_SET_DUMPABLE, 0)</c>.
/// Its /proc entries then belong to root, so another process of the same account (another isolated plugin) can neither
/// open its channel through <c>/proc/&lt;pid&gt;/fd</c>, nor read its environment or memory, nor attach a debugger to it;
/// and a crash leaves no core dump with its secrets. Root, and whoever holds <c>CAP_SYS_PTRACE</c>, still can.
/// </summary>
internal static partial class ChildHardening
{
    /// <summary>How <c>lyndrix plugin-host</c> exits when <see cref="Apply"/> fails: it serves nothing.</summary>
    public const int RefusedExitCode = 4;

    private const int PrGetDumpable = 3;
    private const int PrSetDumpable = 4;

    /// <summary>Makes this process non-dumpable: null when it is (or on another OS than Linux), else what failed.</summary>
    public static string? Apply()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        if (prctl(PrSetDumpable, 0, 0, 0, 0) != 0)
        {
            return $"prctl(PR_SET_DUMPABLE, 0) failed with errno {Marshal.GetLastPInvokeError()}";
        }

        var now = prctl(PrGetDumpable, 0, 0, 0, 0);
        return now == 0 ? null : $"the process is still dumpable ({now}) after prctl(PR_SET_DUMPABLE, 0)";
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
