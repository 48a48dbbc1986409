using System.Collections.ObjectModel;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Scopes;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Auth;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules;

/// <summary>
/// A module's handle to the host: a thin per-module façade over capabilities that were bound to the module's identity
/// when they were made (<see cref="ModuleEventPort"/>, <see cref="ModuleTaskPort"/>, <see cref="ModuleProviderPort"/> and
/// its own <see cref="IModuleSecretScope"/>). It holds no shared host service, and nothing it holds takes a module id, so
/// neither its public surface nor its fields lead to another module's capabilities (deeper reflection does reach the
/// host: in-process plugins are trusted code; see the README's threat model). The manifest it shows is a frozen copy;
/// the ports check against the host's own. One context per activation; <see cref="Close"/> makes it refuse everything,
/// so a stray task of a disabled module cannot re-register anything after the host cleaned up.
/// </summary>
internal sealed class ModuleContext : IModuleContext
{
    private readonly ModuleEventPort _events;
    private readonly ModuleTaskPort _tasks;
    private readonly ModuleProviderPort _providers;
    private readonly IModuleSecretScope _secrets;
    private readonly Lock _gate = new();
    private bool _closed;

    public ModuleContext(
        ModuleManifest manifest,
        IReadOnlyDictionary<string, string?> settings,
        ModuleEventPort events,
        ModuleTaskPort tasks,
        ModuleProviderPort providers,
        IModuleSecretScope secrets,
        ILogger logger)
    {
        Manifest = ManifestCopy.Freeze(manifest);
        Settings = new ReadOnlyDictionary<string, string?>(settings.ToDictionary(StringComparer.Ordinal));
        _events = events;
        _tasks = tasks;
        _providers = providers;
        _secrets = secrets;
        Logger = logger;
        Stopping = tasks.Stopping;
    }

    public ModuleManifest Manifest { get; }

    public ILogger Logger { get; }

    public CancellationToken Stopping { get; }

    public IReadOnlyDictionary<string, string?> Settings { get; }

    // Not an async method, so a module's secret read (its hot path) runs one state machine less; a refusal still comes back
    // in the task, as from an async method.
    public Task<string?> GetSecretAsync(string key, CancellationToken cancellationToken = default)
    {
        try
        {
            PluginRules.ValidateSecretKey(key);
            ThrowIfClosed();
            return _secrets.GetAsync(key, cancellationToken);
        }
        catch (Exception e)
        {
            return Task.FromException<string?>(e);
        }
    }

    public async Task SetSecretAsync(string key, string value, CancellationToken cancellationToken = default)
    {
        PluginRules.ValidateSecretKey(key);
        ArgumentNullException.ThrowIfNull(value);
        ThrowIfClosed();
        await _secrets.SetAsync(key, value, cancellationToken).ConfigureAwait(false);
    }

    public Task<string?> UpdateSecretAsync(string key, Func<string?, string?> update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        return UpdateSecretAsync(key, (current, _) => Task.FromResult(update(current)), cancellationToken);
    }

    /// <summary>The same with an update that is itself asynchronous: an isolated plugin's update runs in its process.</summary>
    public async Task<string?> UpdateSecretAsync(string key, Func<string?, CancellationToken, Task<string?>> update, CancellationToken cancellationToken)
    {
        PluginRules.ValidateSecretKey(key);
        ThrowIfClosed();
        return await _secrets.UpdateAsync(key, update, cancellationToken).ConfigureAwait(false);
    }

    public IDisposable Subscribe(string topic, Func<LyndrixEvent, CancellationToken, Task> handler)
    {
        lock (_gate)
        {
            ThrowIfClosed();
            return _events.Subscribe(topic, handler);
        }
    }

    public void Emit(string topic, EventPayload? payload = null)
    {
        ThrowIfClosed();
        _events.Emit(topic, payload);
    }

    public Task CreateTask(string name, Func<CancellationToken, Task> work)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(work);
        lock (_gate)
        {
            ThrowIfClosed();
            return _tasks.Run(name, work);
        }
    }

    public void RegisterAuthProvider(IAuthProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        lock (_gate)
        {
            ThrowIfClosed();
            _providers.Register(provider);
        }
    }

    /// <summary>Refuses every further operation; called before the host removes the module's subscriptions, tasks and providers.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
        }
    }

    private void ThrowIfClosed()
    {
        if (_closed)
        {
            throw new ObjectDisposedException(nameof(IModuleContext),
                $"Module '{_events.ModuleId}' has been stopped (disabled, reloaded or unloaded); its context no longer accepts calls. Stop background work when Stopping is cancelled.");
        }
    }
}
