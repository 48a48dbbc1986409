namespace Lyndrix.Core.Audit;

/// <summary>A filter over the trail: records at or after <paramref name="Since"/>, after sequence number <paramref name="AfterSeq"/>,
/// of one module, action or actor; at most <paramref name="Limit"/>, oldest first.</summary>
internal sealed record AuditQuery(DateTimeOffset? Since, long? AfterSeq, string? Module, string? Action, string? Actor, int Limit);
