namespace Lyndrix.Core.Audit;

/// <summary>The result of walking the chain: intact, or the first record where it breaks and why.</summary>
internal sealed record AuditVerification(bool Intact, long Checked, long HeadSeq, long? BrokenAt, string? Problem)
{
    public static AuditVerification Ok(long count, long head) => new(true, count, head, null, null);

    public static AuditVerification Broken(long count, long head, long at, string problem) => new(false, count, head, at, problem);
}
