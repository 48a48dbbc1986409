namespace Lyndrix.Core.Configuration;

/// <summary>Settings of the host itself. Each area (vault, database, auth, plugins) reads its own settings class.</summary>
internal sealed partial record HostSettings
{
    public required string EnvType { get; init; }
    public bool IsDev => IsDevEnvType(EnvType);
    public required int Port { get; init; }
    public required string StorageDir { get; init; }
    public required string SecurityDir { get; init; }
    public required string PluginsDir { get; init; }
    public required string LogsDir { get; init; }
    public required string LogLevel { get; init; }
    public required TimeSpan BootStepTimeout { get; init; }
    public required TimeSpan PluginSetupTimeout { get; init; }
    public required IConfigSource Source { get; init; }

    /// <summary>Which host of a cluster this is (<c>LYNDRIX_INSTANCE_ID</c>; default the machine name and port): in
    /// <c>/api/health</c> and in every line of the log file, so an operator can tell the hosts behind a load balancer apart.</summary>
    public string InstanceId { get; init; } = Environment.MachineName;

    /// <summary>How often this host applies plugin enable/disable choices made through other hosts (<c>LYNDRIX_PLUGIN_SYNC_INTERVAL</c>,
    /// seconds; 0 turns following off).</summary>
    public TimeSpan PluginSyncInterval { get; init; } = TimeSpan.FromSeconds(5);

    private static readonly string[] LogLevels = ["TRACE", "DEBUG", "INFO", "INFORMATION", "WARNING", "WARN", "ERROR", "CRITICAL"];

    public static HostSettings Load(IConfigSource source, string baseDirectory)
    {
        var r = new SettingsReader(source, baseDirectory);
        var settings = Read(r);
        r.ThrowIfInvalid();
        return settings;
    }

    /// <summary>ENV_TYPE (default <c>dev</c>), read the same way by every area that relaxes a rule in development.</summary>
    public static string ReadEnvType(SettingsReader r) => r.String("ENV_TYPE", "dev");

    public static bool IsDevEnvType(string envType) => string.Equals(envType, "dev", StringComparison.OrdinalIgnoreCase);

    public static HostSettings Read(SettingsReader r)
    {
        var logLevel = r.String("LOG_LEVEL", "INFO").ToUpperInvariant();
        if (!LogLevels.Contains(logLevel))
        {
            r.Problem("LOG_LEVEL", $"must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL (got '{logLevel}')");
        }

        var port = r.Int("PORT", 8081, 0, 65535);
        var instanceId = r.String("LYNDRIX_INSTANCE_ID")?.Trim();
        if (instanceId is not null && !InstanceIdPattern().IsMatch(instanceId))
        {
            r.Problem("LYNDRIX_INSTANCE_ID", $"must be 1 to 64 letters, digits, '.', '_', ':' or '-' (got '{instanceId}')");
        }

        return new HostSettings
        {
            EnvType = ReadEnvType(r),
            Port = port,
            InstanceId = string.IsNullOrEmpty(instanceId) ? $"{Environment.MachineName}:{port}" : instanceId,
            StorageDir = r.Path("STORAGE_DIR", "data/storage"),
            SecurityDir = r.Path("SECURITY_DIR", "data/security"),
            PluginsDir = r.Path("PLUGINS_DIR", "plugins"),
            LogsDir = r.Path("LOGS_DIR", "data/logs"),
            LogLevel = logLevel,
            BootStepTimeout = r.Seconds("LYNDRIX_BOOT_STEP_TIMEOUT", 120, 0.1, 86400),
            PluginSetupTimeout = r.Seconds("LYNDRIX_PLUGIN_SETUP_TIMEOUT", 30, 0.1, 3600),
            PluginSyncInterval = r.Seconds("LYNDRIX_PLUGIN_SYNC_INTERVAL", 5, 0, 3600),
            Source = r.Source,
        };
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9._:-]{1,64}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex InstanceIdPattern();
}
