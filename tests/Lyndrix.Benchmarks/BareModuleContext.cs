using Lyndrix.Sdk;
using Lyndrix.Sdk.Auth;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Benchmarks;

/// <summary>
/// What a bare McMaster host would hand a module: plain collections, no permission checks, no bus, no owner tracking.
/// The baseline the runtime's <c>ModuleContext</c> is compared with.
/// </summary>
internal sealed class BareModuleContext(ModuleManifest manifest, IReadOnlyDictionary<string, string?> settings) : IModuleContext
{
    private readonly Dictionary<string, string> _secrets = new(StringComparer.Ordinal);
    private readonly List<(string Topic, Func<LyndrixEvent, CancellationToken, Task> Handler)> _handlers = [];
    private readonly List<IAuthProvider> _providers = [];

    public ModuleManifest Manifest { get; } = manifest;

    public ILogger Logger => NullLogger.Instance;

    public CancellationToken Stopping => CancellationToken.None;

    public IReadOnlyDictionary<string, string?> Settings { get; } = settings;

    public int Registrations => _handlers.Count + _providers.Count;

    public Task<string?> GetSecretAsync(string key, CancellationToken cancellationToken = default) =>
        Task.FromResult(_secrets.TryGetValue(key, out var v) ? v : null);

    public Task SetSecretAsync(string key, string value, CancellationToken cancellationToken = default)
    {
        _secrets[key] = value;
        return Task.CompletedTask;
    }

    public IDisposable Subscribe(string topic, Func<LyndrixEvent, CancellationToken, Task> handler)
    {
        _handlers.Add((topic, handler));
        return new Unsubscriber(() => _handlers.RemoveAll(h => h.Handler == handler));
    }

    public void Emit(string topic, EventPayload? payload = null)
    {
    }

    /// <summary>Delivers an event to the module's handlers of that topic, awaiting each (the bare host's "run").</summary>
    public async Task DeliverAsync(string topic, CancellationToken cancellationToken)
    {
        var ev = new LyndrixEvent(topic, EventPayload.Empty, TimeProvider.System.GetUtcNow(), "core");
        foreach (var (t, handler) in _handlers.ToList())
        {
            if (t == topic)
            {
                await handler(ev, cancellationToken);
            }
        }
    }

    public Task CreateTask(string name, Func<CancellationToken, Task> work) => Task.Run(() => work(CancellationToken.None));

    public void RegisterAuthProvider(IAuthProvider provider) => _providers.Add(provider);

    /// <summary>Drops every reference to the module's code (handlers and providers) so its load context can be collected.</summary>
    public void Clear()
    {
        _handlers.Clear();
        _providers.Clear();
    }

    private sealed class Unsubscriber(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
