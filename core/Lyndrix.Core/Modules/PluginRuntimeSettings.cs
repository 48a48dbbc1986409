using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Modules;

/// <summary>Settings of the plugin runtime.</summary>
internal sealed record PluginRuntimeSettings
{
    /// <summary><c>PLUGINS_DIR</c>: operator-installed plugin folders.</summary>
    public required string PluginsDir { get; init; }

    /// <summary><c>LYNDRIX_BUILTIN_MODULES_DIR</c> (default <c>modules</c> next to the executable): first-party modules
    /// shipped with the host, the only ones allowed type CORE or ids starting <c>lyndrix.core.</c>.</summary>
    public required string BuiltInModulesDir { get; init; }

    /// <summary><c>LYNDRIX_PLUGIN_SETUP_TIMEOUT</c> (30 s): a setup running longer fails the plugin; the boot goes on.</summary>
    public required TimeSpan SetupTimeout { get; init; }

    /// <summary><c>LYNDRIX_PLUGIN_TEARDOWN_TIMEOUT</c> (10 s): how long teardown, and then the module's tasks, may take on disable.</summary>
    public required TimeSpan TeardownTimeout { get; init; }

    /// <summary><c>LYNDRIX_PLUGIN_UNLOAD_TIMEOUT</c> (10 s): how long unload waits for the load context to be collected.</summary>
    public required TimeSpan UnloadTimeout { get; init; }

    /// <summary><c>LYNDRIX_PLUGIN_UNLOAD_EXPLAIN</c> (true): after a failed unload, how to start the host's own executable to name
    /// what holds the plugin's code (<see cref="HeldContextExplainer"/>); null: not inspected.</summary>
    public IReadOnlyList<string>? ExplainCommand { get; init; }

    public static PluginRuntimeSettings Read(HostSettings host)
    {
        var r = new SettingsReader(host.Source, AppContext.BaseDirectory);
        var settings = new PluginRuntimeSettings
        {
            PluginsDir = host.PluginsDir,
            BuiltInModulesDir = r.Path("LYNDRIX_BUILTIN_MODULES_DIR", "modules"),
            SetupTimeout = host.PluginSetupTimeout,
            TeardownTimeout = r.Seconds("LYNDRIX_PLUGIN_TEARDOWN_TIMEOUT", 10, 0.1, 3600),
            UnloadTimeout = r.Seconds("LYNDRIX_PLUGIN_UNLOAD_TIMEOUT", 10, 0.1, 600),
            ExplainCommand = r.Bool("LYNDRIX_PLUGIN_UNLOAD_EXPLAIN", true) ? Isolation.IsolationSettings.HostCommand() : null,
        };
        r.ThrowIfInvalid();
        return settings;
    }
}
