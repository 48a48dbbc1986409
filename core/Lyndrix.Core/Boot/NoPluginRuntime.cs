namespace Lyndrix.Core.Boot;

/// <summary>Placeholder runtime that loads nothing; replaced by the plugin runtime.</summary>
internal sealed class NoPluginRuntime : IPluginRuntime
{
    public Task<PluginStartSummary> StartAllAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new PluginStartSummary(0, 0, 0, 0));
}
