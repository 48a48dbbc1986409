namespace Lyndrix.Core.Data;

/// <summary>A classified connection failure.</summary>
/// <param name="Reason">Short machine-readable cause, e.g. <c>access_denied</c>, <c>refused</c>.</param>
/// <param name="Message">What happened and what to do, for operators; never contains a credential.</param>
internal sealed record DatabaseFailure(DatabaseFailureKind Kind, string Reason, string Message)
{
    public bool IsPermanent => Kind == DatabaseFailureKind.Permanent;

    public static DatabaseFailure Transient(string reason, string message) => new(DatabaseFailureKind.Transient, reason, message);

    public static DatabaseFailure Permanent(string reason, string message) => new(DatabaseFailureKind.Permanent, reason, message);
}
