namespace Lyndrix.Core.Backup;

/// <summary>A backup, verify or restore that cannot go on. The message reads like help and never carries a secret value.</summary>
internal sealed class BackupException(BackupProblem problem, string message, Exception? inner = null) : Exception(message, inner)
{
    public BackupProblem Problem { get; } = problem;
}
