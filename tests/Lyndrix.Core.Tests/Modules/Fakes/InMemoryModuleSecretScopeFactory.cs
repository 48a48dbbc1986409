using System.Collections.Concurrent;
using Lyndrix.Core.Secrets;
using Lyndrix.Sdk;

namespace Lyndrix.Core.Tests.Modules.Fakes;

/// <summary>Module secrets kept in memory, confined per module path like the real store: used when no secret-store-backed
/// factory is registered (and by tests). Values are lost on restart.</summary>
internal sealed class InMemoryModuleSecretScopeFactory : IModuleSecretScopeFactory
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, string>> _paths = new(StringComparer.Ordinal);

    public IModuleSecretScope For(ModuleManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var path = (manifest.Type == ModuleType.Core ? "core/" : "plugins/") + manifest.Id;
        return new Scope(path, _paths.GetOrAdd(path, _ => new ConcurrentDictionary<string, string>(StringComparer.Ordinal)));
    }

    /// <summary>What is stored under a path, for tests.</summary>
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

        public async Task<string?> UpdateAsync(string key, Func<string?, CancellationToken, Task<string?>> update, CancellationToken cancellationToken)
        {
            // One writer at a time per path, as the real scope's path lock does within a process.
            await _gate.WaitAsync(cancellationToken);
            try
            {
                var value = await update(values.TryGetValue(key, out var v) ? v : null, cancellationToken);
                if (value is null)
                {
                    values.TryRemove(key, out _);
                }
                else
                {
                    values[key] = value;
                }

                return value;
            }
            finally
            {
                _gate.Release();
            }
        }

        private readonly SemaphoreSlim _gate = new(1, 1);
    }
}
