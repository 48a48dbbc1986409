namespace Lyndrix.Core.Data;

/// <summary>One failed connection attempt, classified. The message is the failure's operator message (no credentials).</summary>
internal sealed class DatabaseConnectException(DatabaseFailure failure, Exception inner) : Exception(failure.Message, inner)
{
    public DatabaseFailure Failure { get; } = failure;
}
