namespace Lyndrix.Core.Data;

/// <summary>Persisted plugin state (<c>plugin_states</c>): whether the operator wants it active, and the installed version.</summary>
internal interface IPluginStateStore
{
    Task<PluginStateRecord?> GetAsync(string moduleId, CancellationToken cancellationToken);

    Task<IReadOnlyList<PluginStateRecord>> ListAsync(CancellationToken cancellationToken);

    Task SaveAsync(PluginStateRecord state, CancellationToken cancellationToken);
}

internal sealed record PluginStateRecord(string ModuleId, bool IsActive, string InstalledVersion);
