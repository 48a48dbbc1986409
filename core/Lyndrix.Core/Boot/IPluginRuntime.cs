namespace Lyndrix.Core.Boot;

/// <summary>The seam between the boot sequence and the plugin runtime.</summary>
internal interface IPluginRuntime
{
    /// <summary>Loads and sets up every enabled plugin; returns when each has finished setup, failed or timed out.
    /// Never throws because of one plugin.</summary>
    Task<PluginStartSummary> StartAllAsync(CancellationToken cancellationToken);

    /// <summary>Asks every active plugin for its health, each within <paramref name="timeout"/>; a plugin that throws or
    /// overruns reports <see cref="Sdk.HealthStatus.Error"/>. Never throws because of one plugin.</summary>
    Task<IReadOnlyList<PluginHealth>> CheckHealthAsync(TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Plugins the operator enabled that are not running: failed or blocked, with the reason.</summary>
    IReadOnlyList<UnwellPlugin> EnabledButNotRunning();
}

internal sealed record UnwellPlugin(string PluginId, Modules.PluginState State, string? Reason);

internal sealed record PluginHealth(string PluginId, Sdk.ModuleHealth Health);

internal sealed record PluginStartSummary(int Active, int Failed, int Blocked, int Disabled);
