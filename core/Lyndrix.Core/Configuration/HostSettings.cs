namespace Lyndrix.Core.Configuration;

/// <summary>Settings of the host itself. Each area (vault, database, auth, plugins) reads its own settings class.</summary>
internal sealed record HostSettings
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

        return new HostSettings
        {
            EnvType = ReadEnvType(r),
            Port = r.Int("PORT", 8081, 0, 65535),
            StorageDir = r.Path("STORAGE_DIR", "data/storage"),
            SecurityDir = r.Path("SECURITY_DIR", "data/security"),
            PluginsDir = r.Path("PLUGINS_DIR", "plugins"),
            LogsDir = r.Path("LOGS_DIR", "data/logs"),
            LogLevel = logLevel,
            BootStepTimeout = r.Seconds("LYNDRIX_BOOT_STEP_TIMEOUT", 120, 0.1, 86400),
            PluginSetupTimeout = r.Seconds("LYNDRIX_PLUGIN_SETUP_TIMEOUT", 30, 0.1, 3600),
            Source = r.Source,
        };
    }
}
