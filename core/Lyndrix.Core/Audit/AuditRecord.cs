namespace Lyndrix.Core.Audit;

/// <summary>
/// What happened, as a caller reports it: who (<paramref name="Actor"/>: a user name, <c>module:&lt;id&gt;</c> or <c>system</c>),
/// which module's data it touched, what (<paramref name="Action"/>, e.g. <c>secret.read</c>), on what, and how it ended.
/// Never a secret value: callers pass paths and field names only.
/// </summary>
internal sealed record AuditRecord(string Actor, string? Module, string Action, string? Target, string Outcome, string? Detail = null);
