using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Security;

/// <summary>
/// The topics of the security event stream: the seven the original's security page says to watch, the rest of the secret
/// store's and database's state, and the core's own security events. All lie in core domains, so no plugin can emit them.
/// </summary>
internal static class SecurityTopics
{
    /// <summary>A sign-in succeeded; payload <c>{username, provider, client}</c>.</summary>
    public const string LoginSucceeded = "security:login_succeeded";

    /// <summary>A sign-in was refused; payload <c>{username, client}</c>.</summary>
    public const string LoginFailed = "security:login_failed";

    /// <summary>A sign-in was not tried because of throttling; payload <c>{username, client, retry_after}</c>.</summary>
    public const string LoginThrottled = "security:login_throttled";

    /// <summary>A user signed out; payload <c>{username}</c>.</summary>
    public const string Logout = "security:logout";

    /// <summary>A plugin folder was refused before loading (trust); payload <c>{plugin_id, reason}</c>.</summary>
    public const string PluginRefused = "security:plugin_refused";

    /// <summary>An administrator changed state (plugins, trust pins, secret store, sessions, password); payload <c>{action, target, actor, outcome}</c>.</summary>
    public const string AdminAction = "security:admin_action";

    /// <summary>Verification found the audit trail altered; payload <c>{seq, problem}</c>.</summary>
    public const string AuditChainBroken = "security:audit_chain_broken";

    /// <summary>Every topic the stream carries, in the README's order.</summary>
    public static IReadOnlyList<string> Streamed { get; } =
    [
        CoreTopics.VaultInitRequested, CoreTopics.VaultUnsealRequested, CoreTopics.VaultAuthFailed, CoreTopics.VaultOpened,
        CoreTopics.VaultReadyForData, CoreTopics.SystemMaintenanceMode, CoreTopics.DbConnected,
        CoreTopics.VaultNeedsInit, CoreTopics.VaultNeedsUnseal, CoreTopics.VaultInitFailed, CoreTopics.VaultUnsealFailed,
        CoreTopics.VaultConnectionFailed, CoreTopics.DbDisconnected,
        LoginSucceeded, LoginFailed, LoginThrottled, Logout, CoreTopics.SecurityPermissionDenied, PluginRefused, AdminAction,
        AuditChainBroken, CoreTopics.PluginStateChanged, CoreTopics.PluginSetupFailed,
    ];
}
