using System.Collections.Concurrent;
using Lyndrix.Core.Secrets;
using Lyndrix.Sdk;

namespace Lyndrix.Benchmarks;

/// <summary>Module secrets kept in memory, confined per module path like the real store: the benchmarks time plugin loading here; the
/// secret store has its own benchmark (secrets).</summary>
internal sealed class InMemoryModuleSecretScopeFactory : IModuleSecretScopeFactory
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, string>> _paths = new(StringComparer.Ordinal);

    public IModuleSecretScope For(ModuleManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var path = (manifest.Type == ModuleType.Core ? "core/" : "plugins/") + manifest.Id;
        return new Scope(path, _paths.GetOrAdd(path, _ => new ConcurrentDictionary<string, string>(StringComparer.Ordinal)));
    }

    /// <summary>What is stored under a path, to check the probe really wrote its secret.</summary>
    public IReadOnlyDictionary<string, string> Read(string path) =>
        _paths.TryGetValue(path, out var values) ? new Dictionary<string, string>(values, StringComparer.Ordinal) : new Dictionary<string, string>();

    private sealed class Scope(string path, ConcurrentDictionary<string, string> values) : IModuleSecretScope
    {
        public string Path { get; } = path;

        public Task<string?> GetAsync(string key, CancellationToken cancellationToken) =>
            Task.FromResult(values.TryGetValue(key, out var v) ? v : null);

        public Task SetAsync(string key, string value, CancellationToken cancellationToken)
        {
            values[key] = value;
            return Task.CompletedTask;
        }
    }
}
