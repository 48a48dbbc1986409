using Lyndrix.Core.Audit;
using Lyndrix.Core.Events;
using Lyndrix.Core.Metrics;
using Lyndrix.Core.Security;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Auth;

/// <summary>
/// The one place a sign-in's outcome is told: a log record with a stable event id, an event on the security stream and an
/// audit record. User names are escaped for the log; passwords never reach here.
/// </summary>
internal sealed class SignInReporter(EventBus bus, AuditTrail trail, ILoggerFactory loggers, LyndrixMetrics? metrics = null)
{
    private readonly ILogger _logger = loggers.CreateLogger(SecurityLog.Category);

    public void Succeeded(string username, string provider, string client)
    {
        SecurityLog.LoginSucceeded(_logger, UserNames.ForLog(username), provider, client);
        bus.Emit(SecurityTopics.LoginSucceeded, EventPayload.Create(("username", username), ("provider", provider), ("client", client)));
        trail.Record(new AuditRecord(username, null, "auth.login", provider, "ok", "client " + client));
        metrics?.Login(provider, "ok");
    }

    public void Failed(string username, string client, string tried)
    {
        SecurityLog.LoginFailed(_logger, UserNames.ForLog(username), client, tried);
        bus.Emit(SecurityTopics.LoginFailed, EventPayload.Create(("username", username), ("client", client)));
        trail.Record(new AuditRecord(username, null, "auth.login", null, "failed", "client " + client));
        metrics?.Login("none", "failed");
    }

    public void Throttled(string username, string client, int seconds)
    {
        SecurityLog.LoginThrottled(_logger, UserNames.ForLog(username), client, seconds);
        bus.Emit(SecurityTopics.LoginThrottled, EventPayload.Create(("username", username), ("client", client), ("retry_after", seconds)));
        trail.Record(new AuditRecord(username, null, "auth.login", null, "throttled", "client " + client));
        metrics?.Login("none", "throttled");
        metrics?.Throttled();
    }

    public void LoggedOut(string username)
    {
        SecurityLog.Logout(_logger, UserNames.ForLog(username));
        bus.Emit(SecurityTopics.Logout, EventPayload.Create(("username", username)));
        trail.Record(new AuditRecord(username, null, "auth.logout", null, "ok"));
    }
}
