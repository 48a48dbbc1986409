namespace Lyndrix.Core.Secrets.KeyFile;

internal static class KeyFileProblems
{
    /// <summary>The machine-readable reason used in <c>vault:*_failed</c> payloads, HTTP bodies and CLI output.</summary>
    public static string Reason(this KeyFileProblem problem) => problem switch
    {
        KeyFileProblem.Missing => "key_file_missing",
        KeyFileProblem.Truncated => "key_file_truncated",
        KeyFileProblem.IncorrectKeyOrTampered => "incorrect_key_or_tampered_file",
        KeyFileProblem.Corrupt => "key_file_corrupt",
        KeyFileProblem.WeakKey => "weak_key",
        KeyFileProblem.Unreadable => "key_file_unreadable",
        KeyFileProblem.WriteFailed => "key_file_write_failed",
        KeyFileProblem.AlreadyExists => "key_file_exists",
        _ => "error",
    };
}
