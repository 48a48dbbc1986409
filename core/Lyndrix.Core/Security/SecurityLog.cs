using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Security;

/// <summary>
/// The security-relevant log records whose event ids operators alert on (the README's table lists them). Ids are stable:
/// never reuse or renumber one. Values that came from a client are passed through <c>LogValue</c>/<c>UserNames.ForLog</c> first.
/// </summary>
internal static partial class SecurityLog
{
    public const string Category = "Lyndrix.Security";

    [LoggerMessage(EventId = 1110, Level = LogLevel.Information, Message = "LOGIN_SUCCEEDED '{User}' through '{Provider}' from {Client}")]
    public static partial void LoginSucceeded(ILogger logger, string user, string provider, string client);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Warning, Message = "LOGIN_FAILED '{User}' from {Client} (providers asked: {Tried})")]
    public static partial void LoginFailed(ILogger logger, string user, string client, string tried);

    [LoggerMessage(EventId = 1112, Level = LogLevel.Warning, Message = "LOGIN_THROTTLED '{User}' from {Client} for {Seconds}s")]
    public static partial void LoginThrottled(ILogger logger, string user, string client, int seconds);

    [LoggerMessage(EventId = 1113, Level = LogLevel.Information, Message = "LOGOUT '{User}'")]
    public static partial void Logout(ILogger logger, string user);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "PERMISSION_DENIED module {ModuleId} {Operation} {Resource}: {Reason}")]
    public static partial void PermissionDenied(ILogger logger, string moduleId, string operation, string resource, string reason);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "PLUGIN_REFUSED {PluginId}: {Reason}")]
    public static partial void PluginRefused(ILogger logger, string pluginId, string reason);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Information, Message = "ADMIN_ACTION {Action} {Target} by '{Actor}': {Outcome}")]
    public static partial void AdminAction(ILogger logger, string action, string target, string actor, string outcome);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Critical, Message = "AUDIT_CHAIN_BROKEN at record #{Seq}: {Problem}")]
    public static partial void AuditChainBroken(ILogger logger, long seq, string problem);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Error, Message = "AUDIT_WRITE_FAILED {Count} record(s) wait in memory and are written when the database answers: {Reason}")]
    public static partial void AuditWriteFailed(ILogger logger, int count, string reason);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Error, Message = "AUDIT_RECORDS_DROPPED {Count} record(s) were lost because the queue was full; an audit.dropped record says so in the trail")]
    public static partial void AuditRecordsDropped(ILogger logger, long count);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Information, Message = "AUDIT_RETENTION removed {Count} record(s) older than {Days} days; the chain now starts at #{Seq}")]
    public static partial void AuditRetention(ILogger logger, int count, int days, long seq);

    [LoggerMessage(EventId = 1405, Level = LogLevel.Warning, Message = "AUDIT_ANCHOR_FAILED the secret store did not take the chain's head #{Seq}: {Reason}")]
    public static partial void AuditAnchorFailed(ILogger logger, long seq, string reason);
}
