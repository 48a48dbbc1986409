namespace Lyndrix.Core.Audit;

/// <summary>A record with the time it happened (taken when it was reported, not when it was written).</summary>
internal readonly record struct TimedAuditRecord(AuditRecord Record, DateTimeOffset At);
