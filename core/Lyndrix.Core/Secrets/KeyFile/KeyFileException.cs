namespace Lyndrix.Core.Secrets.KeyFile;

/// <summary>A key file could not be read, decrypted or written. The message says what happened and what to do; it never
/// contains a key or any decrypted content.</summary>
internal sealed class KeyFileException(KeyFileProblem problem, string message, Exception? inner = null) : Exception(message, inner)
{
    public KeyFileProblem Problem { get; } = problem;

    public string Reason => Problem.Reason();
}
