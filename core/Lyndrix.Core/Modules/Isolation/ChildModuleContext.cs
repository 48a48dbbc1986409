using System.Collections.Concurrent;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Auth;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;
using StreamJsonRpc;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>
/// <see cref="IModuleContext"/> inside an isolated plugin's process: every operation is a call to the host, which answers
/// for this connection's module only and checks every permission on its side. The SDK's <c>Subscribe</c>, <c>Emit</c> and
/// <c>RegisterAuthProvider</c> are synchronous (a refusal is an exception at the call), so they wait for the host's answer.
/// </summary>
internal sealed class ChildModuleContext(ModuleManifest manifest, IReadOnlyDictionary<string, string?> settings, IPluginHostRpc host) : IModuleContext
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<long, Func<LyndrixEvent, CancellationToken, Task>> _handlers = new();
    private readonly ConcurrentDictionary<string, IAuthProvider> _providers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _reportedConfigured = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, Func<string?, string?>> _updates = new();
    private readonly ChannelLogger _logger = new(host);
    private long _nextUpdate;

    public ModuleManifest Manifest { get; } = manifest;

    public ILogger Logger => _logger;

    public CancellationToken Stopping => _stopping.Token;

    public IReadOnlyDictionary<string, string?> Settings { get; } = settings;

    public async Task<string?> GetSecretAsync(string key, CancellationToken cancellationToken = default) =>
        await Call(() => host.GetSecretAsync(key, cancellationToken)).ConfigureAwait(false);

    public async Task SetSecretAsync(string key, string value, CancellationToken cancellationToken = default) =>
        await Call(async () =>
        {
            await host.SetSecretAsync(key, value, cancellationToken).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    public async Task<string?> UpdateSecretAsync(string key, Func<string?, string?> update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        var id = Interlocked.Increment(ref _nextUpdate);
        _updates[id] = update;
        try
        {
            // The host holds the read-modify-write loop and calls back for each attempt.
            return await Call(() => host.UpdateSecretAsync(key, id, cancellationToken)).ConfigureAwait(false);
        }
        finally
        {
            _updates.TryRemove(id, out _);
        }
    }

    /// <summary>One attempt of an update this context started (the host calls back with the stored value).</summary>
    public string? ApplyUpdate(long id, string? current) =>
        _updates.TryGetValue(id, out var update) ? update(current) : throw new InvalidOperationException($"No update {id} is in progress.");

    public IDisposable Subscribe(string topic, Func<LyndrixEvent, CancellationToken, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var id = Wait(() => host.SubscribeAsync(topic));
        _handlers[id] = handler;
        return new Subscription(this, id);
    }

    public void Emit(string topic, EventPayload? payload = null) =>
        Wait(async () =>
        {
            await host.EmitAsync(topic, WirePayload.ToJson(payload)).ConfigureAwait(false);
            return true;
        });

    public Task CreateTask(string name, Func<CancellationToken, Task> work)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(work);
        return Task.Run(async () =>
        {
            try
            {
                await work(Stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (Stopping.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                Logger.LogError("Task {Name} failed: {Error}", name, ex.GetType().Name + ": " + ex.Message);
            }
        }, CancellationToken.None);
    }

    public void RegisterAuthProvider(IAuthProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        Wait(async () =>
        {
            var configured = provider.IsConfigured;
            await host.RegisterAuthProviderAsync(provider.ProviderId, provider.DisplayName, configured).ConfigureAwait(false);
            _reportedConfigured[provider.ProviderId] = configured;
            return true;
        });
        _providers[provider.ProviderId] = provider;
    }

    /// <summary>Tells the host about providers whose <see cref="IAuthProvider.IsConfigured"/> changed since last reported
    /// (called after setup, after each event delivery and periodically: a property cannot announce its own change).</summary>
    public async Task ReportProviderChangesAsync()
    {
        foreach (var (id, provider) in _providers)
        {
            var now = provider.IsConfigured;
            if (!_reportedConfigured.TryGetValue(id, out var reported) || reported != now)
            {
                _reportedConfigured[id] = now;
                await Call(async () =>
                {
                    await host.ProviderConfiguredAsync(id, now).ConfigureAwait(false);
                    return true;
                }).ConfigureAwait(false);
            }
        }
    }

    public async Task DeliverAsync(long subscription, LyndrixEvent ev, CancellationToken cancellationToken)
    {
        if (_handlers.TryGetValue(subscription, out var handler))
        {
            try
            {
                await handler(ev, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await ReportProviderChangesAsync().ConfigureAwait(false);
                await FlushLogsAsync().ConfigureAwait(false);
            }
        }
    }

    public IAuthProvider? Provider(string id) => _providers.GetValueOrDefault(id);

    public void Stop() => _stopping.Cancel();

    private void Unsubscribe(long id) => _ = host.UnsubscribeAsync(id);

    private T Wait<T>(Func<Task<T>> call) => Call(call).GetAwaiter().GetResult();

    private async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RemoteInvocationException ex)
        {
            throw RpcErrors.Map(ex, Manifest.Id);
        }
        catch (ConnectionLostException ex)
        {
            throw new ObjectDisposedException(nameof(IModuleContext), "The host closed the channel: " + ex.Message);
        }
    }

    /// <summary>Waits until the host has logged every record sent so far, so what a setup or a handler logged is in the
    /// host's log before the host hears that it finished (as in-process).</summary>
    public Task FlushLogsAsync() => _logger.FlushAsync();

    private sealed class Subscription(ChildModuleContext owner, long id) : IDisposable
    {
        public void Dispose()
        {
            if (owner._handlers.TryRemove(id, out _))
            {
                owner.Unsubscribe(id);
            }
        }
    }

    /// <summary>Sends each record to the host, which logs it under the module's category with its redaction.</summary>
    private sealed class ChannelLogger(IPluginHostRpc host) : ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<Task, byte> _pending = new();

        public async Task FlushAsync()
        {
            foreach (var sent in _pending.Keys)
            {
                await sent.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception) + (exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})");
            var sent = host.LogAsync((int)logLevel, message);
            _pending[sent] = 0;
            _ = sent.ContinueWith(t =>
            {
                _pending.TryRemove(t, out _);
                _ = t.Exception;
            }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }
}
