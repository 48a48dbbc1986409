namespace Lyndrix.Core.Backup;

/// <summary>Why a backup command failed; each value is the command's exit code, so scripts can tell them apart.</summary>
internal enum BackupProblem
{
    /// <summary>The operation failed on the way; a restore returned the deployment to what it was before.</summary>
    Failed = 1,

    /// <summary>The passphrase (or master key) is not the one the archive was written with.</summary>
    WrongKey = 3,

    /// <summary>The archive is not a Lyndrix backup, is truncated, or was altered.</summary>
    Damaged = 4,

    /// <summary>The archive was written by a newer Lyndrix (format or schema this build does not know).</summary>
    VersionMismatch = 5,

    /// <summary>The target deployment holds data and <c>--force</c> was not given.</summary>
    TargetPopulated = 6,

    /// <summary>The deployment's database or secret store cannot be reached or opened.</summary>
    Unreachable = 7,

    /// <summary>A restore failed and putting the previous state back failed too: the operator must act (the message says how).</summary>
    RollbackFailed = 8,

    /// <summary>A host (or another restore) runs on the target deployment: a restore would happen under it. The message names it.</summary>
    HostRunning = 9,
}
