namespace Lyndrix.Core.Audit;

/// <summary>A stored audit record: its place in the chain (<paramref name="Seq"/>), the hash of the record before it and its own keyed hash.</summary>
internal sealed record AuditEntry(
    long Seq,
    DateTimeOffset At,
    string Actor,
    string? Module,
    string Action,
    string? Target,
    string Outcome,
    string? Detail,
    string PrevHash,
    string Hash);
