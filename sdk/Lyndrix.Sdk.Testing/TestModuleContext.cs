using Lyndrix.Sdk.Auth;
using Lyndrix.Sdk.Events;
using Lyndrix.Core.Events;
using Lyndrix.Core.Modules;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Sdk.Testing;

/// <summary>The module's view of a <see cref="ModuleTestHost"/>, with the host's permission rules.</summary>
internal sealed class TestModuleContext(ModuleTestHost host) : IModuleContext
{
    public ModuleManifest Manifest => host.Manifest;

    public ILogger Logger { get; } = new TestLogger(host.LogQueue);

    public CancellationToken Stopping => host.Stopping;

    public IReadOnlyDictionary<string, string?> Settings => host.Settings.AsReadOnly();

    public Task<string?> GetSecretAsync(string key, CancellationToken cancellationToken = default)
    {
        CheckSecret(key);
        return Task.FromResult(host.Secrets.TryGetValue(key, out var value) ? value : null);
    }

    public Task SetSecretAsync(string key, string value, CancellationToken cancellationToken = default)
    {
        CheckSecret(key);
        ArgumentNullException.ThrowIfNull(value);
        host.Secrets[key] = value;
        return Task.CompletedTask;
    }

    public Task<string?> UpdateSecretAsync(string key, Func<string?, string?> update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        return UpdateSecretAsync(key, (current, _) => Task.FromResult(update(current)), cancellationToken);
    }

    /// <summary>As the host does it: read, apply, and write only if the field is unchanged since the read (check-and-set);
    /// on a conflict the function runs again on the new value. Also serves a process-isolated module's updates.</summary>
    internal async Task<string?> UpdateSecretAsync(string key, Func<string?, CancellationToken, Task<string?>> update, CancellationToken cancellationToken)
    {
        CheckSecret(key);
        var secrets = host.SecretFields;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var found = secrets.TryGetValue(key, out var current);
            var next = await update(found ? current : null, cancellationToken).ConfigureAwait(false);
            var written = (found, next) switch
            {
                (false, null) => !secrets.ContainsKey(key),
                (false, _) => secrets.TryAdd(key, next),
                (true, null) => secrets.TryRemove(new KeyValuePair<string, string>(key, current!)),
                (true, _) => secrets.TryUpdate(key, next, current!),
            };
            if (written)
            {
                return next;
            }
        }
    }

    public IDisposable Subscribe(string topic, Func<LyndrixEvent, CancellationToken, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        TopicName.Validate(topic);
        if (PluginRules.SubscribeRefusal(Manifest, topic) is { } refusal)
        {
            throw Deny("subscribe", topic, refusal);
        }

        return host.Subscribe(topic, handler);
    }

    public void Emit(string topic, EventPayload? payload = null)
    {
        TopicName.Validate(topic);
        if (EmitRule.Refusal(Manifest, topic, host.DomainOwners) is { } refusal)
        {
            throw Deny("emit", topic, refusal);
        }

        host.Emitted(new LyndrixEvent(topic, payload ?? EventPayload.Empty, host.Time.GetUtcNow(), Manifest.Id));
    }

    public Task CreateTask(string name, Func<CancellationToken, Task> work)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(work);
        return host.Track(name, work);
    }

    public void RegisterAuthProvider(IAuthProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (PluginRules.ProviderRefusal(Manifest.Id, provider.ProviderId) is { } refusal)
        {
            throw Deny("auth_provider", provider.ProviderId ?? "", refusal);
        }

        host.AddProvider(provider);
    }

    private void CheckSecret(string key)
    {
        PluginRules.ValidateSecretKey(key);

        if (!host.SecretStoreAvailable)
        {
            throw new SecretStoreUnavailableException("The secret store is sealed (ModuleTestHost.SecretStoreAvailable is false).");
        }
    }

    private ModulePermissionDeniedException Deny(string operation, string resource, string message)
    {
        var ex = new ModulePermissionDeniedException(Manifest.Id, operation, resource, message);
        host.Denied(ex);
        return ex;
    }
}
