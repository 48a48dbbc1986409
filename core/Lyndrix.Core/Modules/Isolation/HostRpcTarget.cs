using System.Collections.Concurrent;
using System.Text.Json;
using Lyndrix.Sdk;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>
/// The host's side of one isolated plugin's channel: every call goes through that plugin's own host-side
/// <see cref="IModuleContext"/> (bound to its id when the host made it), so the child never names a module and every
/// permission is checked here, with the same rules and words as in-process.
/// </summary>
internal sealed class HostRpcTarget(IModuleContext context, RemoteSecretUpdate updateSecret, Func<IPluginChildRpc> child, ILogger moduleLogger, byte[] secret) : IPluginHostRpc
{
    private readonly ConcurrentDictionary<long, IDisposable> _subscriptions = new();
    private readonly ConcurrentDictionary<string, RemoteAuthProvider> _providers = new(StringComparer.Ordinal);
    private long _nextSubscription;
    private volatile bool _authenticated;

    public Task HelloAsync(string presented)
    {
        if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(presented), secret))
        {
            throw new StreamJsonRpc.LocalRpcException("The channel was not opened by the process the host started.");
        }

        _authenticated = true;
        return Task.CompletedTask;
    }

    private IModuleContext Context => _authenticated ? context : throw new ObjectDisposedException(nameof(IModuleContext), "Say hello first.");

    public Task<string?> GetSecretAsync(string key, CancellationToken cancellationToken) =>
        RpcErrors.Guard(() => Context.GetSecretAsync(key, cancellationToken));

    public Task SetSecretAsync(string key, string value, CancellationToken cancellationToken) =>
        RpcErrors.Guard(async () =>
        {
            await Context.SetSecretAsync(key, value, cancellationToken).ConfigureAwait(false);
            return true;
        });

    public Task<string?> UpdateSecretAsync(string key, long update, CancellationToken cancellationToken) =>
        RpcErrors.Guard(() => _authenticated
            ? updateSecret(key, (current, ct) => child().ApplySecretUpdateAsync(update, current, ct), cancellationToken)
            : throw new ObjectDisposedException(nameof(IModuleContext), "Say hello first."));

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
        moduleLogger.Log(logLevel, "{Message}", message);
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
