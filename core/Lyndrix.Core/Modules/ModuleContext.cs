using Lyndrix.Core.Auth;
using Lyndrix.Core.Events;
using Lyndrix.Core.Secrets;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Auth;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules;

/// <summary>
/// A module's only handle to the host, confined to its manifest: secrets through its own scope, topics it declares,
/// tasks and auth providers owned by its id. It holds no reference a module could use to reach host internals beyond
/// these operations. One context per activation; <see cref="Close"/> makes it refuse everything, so a stray task of a
/// disabled module cannot re-register anything after the host cleaned up.
/// </summary>
internal sealed class ModuleContext : IModuleContext
{
    private static readonly System.Buffers.SearchValues<char> SecretKeyChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.");

    private readonly EventBus _bus;
    private readonly TaskTracker _tasks;
    private readonly IModuleSecretScope _secrets;
    private readonly IAuthProviderRegistry _providers;
    private readonly ILogger _hostLogger;
    private readonly Lock _gate = new();
    private bool _closed;

    public ModuleContext(
        ModuleManifest manifest,
        IReadOnlyDictionary<string, string?> settings,
        EventBus bus,
        TaskTracker tasks,
        IModuleSecretScope secrets,
        IAuthProviderRegistry providers,
        ILoggerFactory loggers)
    {
        Manifest = manifest;
        Settings = settings;
        _bus = bus;
        _tasks = tasks;
        _secrets = secrets;
        _providers = providers;
        Logger = loggers.CreateLogger(manifest.Id);
        _hostLogger = loggers.CreateLogger("Lyndrix.Security");
        Stopping = tasks.TokenFor(manifest.Id);
    }

    public ModuleManifest Manifest { get; }

    public ILogger Logger { get; }

    public CancellationToken Stopping { get; }

    public IReadOnlyDictionary<string, string?> Settings { get; }

    private string Id => Manifest.Id;

    public async Task<string?> GetSecretAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateSecretKey(key);
        ThrowIfClosed();
        return await _secrets.GetAsync(key, cancellationToken).ConfigureAwait(false);
    }

    public async Task SetSecretAsync(string key, string value, CancellationToken cancellationToken = default)
    {
        ValidateSecretKey(key);
        ArgumentNullException.ThrowIfNull(value);
        ThrowIfClosed();
        await _secrets.SetAsync(key, value, cancellationToken).ConfigureAwait(false);
    }

    public IDisposable Subscribe(string topic, Func<LyndrixEvent, CancellationToken, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        TopicName.Validate(topic);
        if (!Manifest.MaySubscribe(topic))
        {
            throw Deny("subscribe", topic,
                $"Module '{Id}' may not subscribe to '{topic}': its plugin.json does not list it in permissions.subscribe. " +
                $"Add \"{topic}\" there (and tell your operator why the plugin needs it).");
        }

        lock (_gate)
        {
            ThrowIfClosed();

            // Always the queued path: a plugin handler never runs on the emitter's thread, and its owner is the module id
            // so disable/unload removes it.
            return _bus.Subscribe(topic, Id, handler);
        }
    }

    public void Emit(string topic, EventPayload? payload = null)
    {
        TopicName.Validate(topic);
        if (!Manifest.MayEmit(topic))
        {
            var reason = CoreTopics.IsCoreOwned(topic) && Manifest.Type != ModuleType.Core
                ? $"'{topic}' belongs to the core ({topic[..topic.IndexOf(':', StringComparison.Ordinal)]}:*), and only the core emits on it. Emit a topic of your plugin's own domain."
                : $"its plugin.json does not list it in permissions.emit. Add \"{topic}\" there.";
            throw Deny("emit", topic, $"Module '{Id}' may not emit '{topic}': {reason}");
        }

        ThrowIfClosed();
        _bus.Emit(topic, payload, Id);
    }

    public Task CreateTask(string name, Func<CancellationToken, Task> work)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(work);
        lock (_gate)
        {
            ThrowIfClosed();
            return _tasks.Run(Id, name, work);
        }
    }

    public void RegisterAuthProvider(IAuthProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        lock (_gate)
        {
            ThrowIfClosed();
            try
            {
                _providers.Register(Id, provider);
            }
            catch (ModulePermissionDeniedException ex)
            {
                Report(ex);
                throw;
            }
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
                $"Module '{Id}' has been stopped (disabled, reloaded or unloaded); its context no longer accepts calls. Stop background work when Stopping is cancelled.");
        }
    }

    private static void ValidateSecretKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length is 0 or > 128 || key.AsSpan().ContainsAnyExcept(SecretKeyChars))
        {
            throw new ArgumentException(
                $"Secret key '{key}' is not allowed: use 1-128 letters, digits, '_', '-' and '.'. Keys name fields of the module's own secret; there is no way to address another module's path.",
                nameof(key));
        }
    }

    private ModulePermissionDeniedException Deny(string operation, string resource, string message)
    {
        var ex = new ModulePermissionDeniedException(Id, operation, resource, message);
        Report(ex);
        return ex;
    }

    private void Report(ModulePermissionDeniedException ex)
    {
        _hostLogger.LogWarning("PERMISSION_DENIED module {ModuleId} {Operation} {Resource}: {Message}", ex.ModuleId, ex.Operation, ex.Resource, ex.Message);
        _bus.Emit(CoreTopics.SecurityPermissionDenied, EventPayload.Create(
            ("module_id", ex.ModuleId), ("operation", ex.Operation), ("resource", ex.Resource)));
    }
}
