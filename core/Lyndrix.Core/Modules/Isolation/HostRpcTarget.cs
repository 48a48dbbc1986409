using System.Collections.Concurrent;
using System.Text.Json;
using Lyndrix.Sdk;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>
/// The host's side of one isolated plugin's channel: every call goes through that plugin's own host-side
/// <see cref="IModuleContext"/> (bound to its id when the host made it), so the child never names a module and every
/// permission is checked here, with the same rules and words as in-process. A channel is opened before it has a plugin (a
/// spare process waits so): until <see cref="Bind"/> names the one plugin it will ever serve, it serves nothing but hello.
/// </summary>
internal sealed class HostRpcTarget(Func<IPluginChildRpc> child, ILogger channelLogger, byte[] secret) : IPluginHostRpc
{
    private readonly ConcurrentDictionary<long, IDisposable> _subscriptions = new();
    private readonly ConcurrentDictionary<string, RemoteAuthProvider> _providers = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _greeted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextSubscription;
    private volatile bool _authenticated;
    private Binding? _binding;

    private sealed record Binding(IModuleContext Context, RemoteSecretUpdate UpdateSecret, ILogger Logger);

    /// <summary>Completes when the child presented the right secret.</summary>
    public Task Greeted => _greeted.Task;

    /// <summary>Ties the channel to its plugin's context, once.</summary>
    public void Bind(IModuleContext context, RemoteSecretUpdate updateSecret, ILogger moduleLogger)
    {
        if (Interlocked.CompareExchange(ref _binding, new Binding(context, updateSecret, moduleLogger), null) is not null)
        {
            throw new InvalidOperationException("This channel already serves a plugin; a process serves one plugin only.");
        }
    }

    public Task HelloAsync(string presented)
    {
        if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(presented), secret))
        {
            throw new StreamJsonRpc.LocalRpcException("The channel was not opened by the process the host started.");
        }

        _authenticated = true;
        _greeted.TrySetResult();
        return Task.CompletedTask;
    }

    private Binding Bound => !_authenticated
        ? throw new ObjectDisposedException(nameof(IModuleContext), "Say hello first.")
        : Volatile.Read(ref _binding) ?? throw new ObjectDisposedException(nameof(IModuleContext), "No plugin is set up on this channel yet.");

    private IModuleContext Context => Bound.Context;

    public Task<string?> GetSecretAsync(string key, CancellationToken cancellationToken) =>
        RpcErrors.Guard(() => Context.GetSecretAsync(key, cancellationToken));

    public Task SetSecretAsync(string key, string value, CancellationToken cancellationToken) =>
        RpcErrors.Guard(async () =>
        {
            await Context.SetSecretAsync(key, value, cancellationToken).ConfigureAwait(false);
            return true;
        });

    public Task<string?> UpdateSecretAsync(string key, long update, CancellationToken cancellationToken) =>
        RpcErrors.Guard(() => Bound.UpdateSecret(key, (current, ct) => child().ApplySecretUpdateAsync(update, current, ct), cancellationToken));

    public Task<long> SubscribeAsync(string topic) => RpcErrors.Guard(() =>
    {
        var id = Interlocked.Increment(ref _nextSubscription);
        _subscriptions[id] = Context.Subscribe(topic, (ev, ct) => child().DeliverAsync(id,
            new WireEvent(ev.Topic, ev.Source, ev.Timestamp, ev.Replayed, WirePayload.ToJson(ev.Payload)), ct));
        return Task.FromResult(id);
    });

    public Task UnsubscribeAsync(long subscription)
    {
        if (_subscriptions.TryRemove(subscription, out var handle))
        {
            handle.Dispose();
        }

        return Task.CompletedTask;
    }

    public Task EmitAsync(string topic, JsonElement payload) => RpcErrors.Guard(() =>
    {
        Context.Emit(topic, WirePayload.FromJson(payload));
        return Task.FromResult(true);
    });

    public Task LogAsync(int level, string message)
    {
        // Records go out under the module's category, through the host's providers and their redaction.
        var logLevel = (LogLevel)Math.Clamp(level, (int)LogLevel.Trace, (int)LogLevel.Critical);
#pragma warning disable CA2254 // The template is the plugin's already-formatted message.
        (Volatile.Read(ref _binding)?.Logger ?? channelLogger).Log(logLevel, "{Message}", message);
#pragma warning restore CA2254
        return Task.CompletedTask;
    }

    public Task RegisterAuthProviderAsync(string providerId, string displayName, bool isConfigured) => RpcErrors.Guard(() =>
    {
        var provider = new RemoteAuthProvider(providerId, displayName, isConfigured, child);
        Context.RegisterAuthProvider(provider);
        _providers[providerId] = provider;
        return Task.FromResult(true);
    });

    public Task ProviderConfiguredAsync(string providerId, bool isConfigured)
    {
        // Only a provider this connection registered itself; anything else is ignored.
        if (_authenticated && _providers.TryGetValue(providerId, out var provider))
        {
            provider.Configured(isConfigured);
        }

        return Task.CompletedTask;
    }
}
