using System.Collections.Concurrent;
using Lyndrix.Core.Data;

namespace Lyndrix.Benchmarks;

/// <summary>Plugin states kept in memory: the benchmarks time plugin loading, not the database.
/// Enable/disable choices are lost on restart.</summary>
internal sealed class InMemoryPluginStateStore : IPluginStateStore
{
    private readonly ConcurrentDictionary<string, PluginStateRecord> _states = new(StringComparer.Ordinal);

    public Task<PluginStateRecord?> GetAsync(string moduleId, CancellationToken cancellationToken) =>
        Task.FromResult(_states.TryGetValue(moduleId, out var s) ? s : null);

    public Task<IReadOnlyList<PluginStateRecord>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<PluginStateRecord>>(_states.Values.OrderBy(s => s.ModuleId, StringComparer.Ordinal).ToList());

    public Task SaveAsync(PluginStateRecord state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        _states[state.ModuleId] = state;
        return Task.CompletedTask;
    }
}
