namespace Lyndrix.Sdk.Events;

/// <summary>The topics the core emits. Readiness topics (see <see cref="Sticky"/>) replay their latest event to late subscribers.</summary>
public static class CoreTopics
{
    /// <summary>The host has started; payload <c>{}</c>.</summary>
    public const string SystemStarted = "system:started";
    /// <summary>Boot phase changed; payload <c>{phase, error, is_booting}</c>, phase one of <c>waiting_core</c>, <c>loading_modules</c>, <c>ready</c>, <c>failed</c>.</summary>
    public const string SystemBootPhase = "system:boot_phase";
    /// <summary>Boot finished and every enabled plugin has completed setup; payload <c>{status}</c>.</summary>
    public const string SystemBootComplete = "system:boot_complete";
    /// <summary>A service entered or left maintenance; payload <c>{service, active, reason?}</c>.</summary>
    public const string SystemMaintenanceMode = "system:maintenance_mode";
    /// <summary>The secret store is not initialized; payload <c>{}</c>.</summary>
    public const string VaultNeedsInit = "vault:needs_init";
    /// <summary>The secret store is sealed; payload <c>{}</c>.</summary>
    public const string VaultNeedsUnseal = "vault:needs_unseal";
    /// <summary>Initialization was requested; payload <c>{key}</c>, always redacted in logs.</summary>
    public const string VaultInitRequested = "vault:init_requested";
    /// <summary>Unsealing was requested; payload <c>{key}</c>, always redacted in logs.</summary>
    public const string VaultUnsealRequested = "vault:unseal_requested";
    /// <summary>Initialization failed; payload <c>{reason, message}</c>.</summary>
    public const string VaultInitFailed = "vault:init_failed";
    /// <summary>Unsealing failed; payload <c>{reason, message}</c>.</summary>
    public const string VaultUnsealFailed = "vault:unseal_failed";
    /// <summary>The token cannot use the mount or policies forbid an operation; payload <c>{reason, message}</c>.</summary>
    public const string VaultAuthFailed = "vault:auth_failed";
    /// <summary>The secret store could not be reached; payload <c>{reason, attempt}</c>.</summary>
    public const string VaultConnectionFailed = "vault:connection_failed";
    /// <summary>The secret store is open and the mount exists; payload <c>{}</c>.</summary>
    public const string VaultOpened = "vault:opened";
    /// <summary>Secrets can be read and written; payload <c>{}</c>. The safe point for secret I/O.</summary>
    public const string VaultReadyForData = "vault:ready_for_data";
    /// <summary>The database is connected; payload <c>{status}</c>.</summary>
    public const string DbConnected = "db:connected";
    /// <summary>The database connection was lost; payload <c>{reason}</c>.</summary>
    public const string DbDisconnected = "db:disconnected";
    /// <summary>Identity and access management is ready; payload <c>{}</c>.</summary>
    public const string IamReady = "iam:ready";
    /// <summary>A plugin's setup failed or timed out; payload <c>{plugin_id, error}</c>.</summary>
    public const string PluginSetupFailed = "plugin:setup_failed";
    /// <summary>A plugin changed state; payload <c>{plugin_id, state, is_active, enabled}</c>: <c>is_active</c> is true only
    /// in state <c>active</c>; <c>enabled</c> is the operator's choice (a failed or blocked plugin stays enabled).</summary>
    public const string PluginStateChanged = "plugin:state_changed";
    /// <summary>A module was refused an operation; payload <c>{module_id, operation, resource}</c>.</summary>
    public const string SecurityPermissionDenied = "security:permission_denied";

    /// <summary>The domains (the part before the first <c>:</c>) that belong to the core. Only modules of type
    /// <see cref="ModuleType.Core"/> may emit on them, even when a plugin's manifest allows <c>*</c>, so a plugin
    /// cannot fake readiness (<c>vault:ready_for_data</c>) or security events.</summary>
    public static IReadOnlySet<string> CoreDomains { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "system", "vault", "db", "iam", "plugin", "security",
    };

    /// <summary>Whether a topic lies in one of the <see cref="CoreDomains"/>.</summary>
    /// <param name="topic">The topic, <c>domain:event</c>.</param>
    /// <returns><see langword="true"/> when only the core and first-party modules may emit it.</returns>
    public static bool IsCoreOwned(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        var colon = topic.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && CoreDomains.Contains(topic[..colon]);
    }

    /// <summary>Readiness topics: the latest event is kept and replayed to later subscribers.</summary>
    public static IReadOnlySet<string> Sticky { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        VaultOpened, VaultReadyForData, DbConnected, IamReady, SystemBootComplete,
    };
}
