namespace Lyndrix.Core.Secrets.KeyFile;

/// <summary>Why a key file could not be used. <see cref="KeyFileProblems.Reason"/> gives the event/API reason code.</summary>
internal enum KeyFileProblem
{
    Missing,
    Truncated,
    IncorrectKeyOrTampered,
    Corrupt,
    WeakKey,
    Unreadable,
    WriteFailed,
    AlreadyExists,
}
