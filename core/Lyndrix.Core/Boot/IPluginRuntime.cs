namespace Lyndrix.Core.Boot;

/// <summary>The seam between the boot sequence and the plugin runtime.</summary>
internal interface IPluginRuntime
{
    /// <summary>Loads and sets up every enabled plugin; returns when each has finished setup, failed or timed out.
    /// Never throws because of one plugin.</summary>
    Task<PluginStartSummary> StartAllAsync(CancellationToken cancellationToken);
}

internal sealed record PluginStartSummary(int Active, int Failed, int Blocked, int Disabled);
