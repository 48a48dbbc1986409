using Lyndrix.Sdk.Auth;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Sdk.Testing;

/// <summary>The module's view of a <see cref="ModuleTestHost"/>, with the host's permission rules.</summary>
internal sealed class TestModuleContext(ModuleTestHost host) : IModuleContext
{
    private static readonly HashSet<string> BuiltInProviders = new(StringComparer.Ordinal) { "local", "ldap", "oidc" };

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
        CheckSecret(key);
        ArgumentNullException.ThrowIfNull(update);
        lock (host.Secrets)
        {
            var value = update(host.Secrets.TryGetValue(key, out var current) ? current : null);
            if (value is null)
            {
                host.Secrets.Remove(key);
            }
            else
            {
                host.Secrets[key] = value;
            }

            return Task.FromResult(value);
        }
    }

    public IDisposable Subscribe(string topic, Func<LyndrixEvent, CancellationToken, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        TopicRules.Validate(topic);
        if (!Manifest.MaySubscribe(topic))
        {
            throw Deny("subscribe", topic, $"Module '{Manifest.Id}' may not subscribe to '{topic}': its plugin.json does not list it in permissions.subscribe.");
        }

        return host.Subscribe(topic, handler);
    }

    public void Emit(string topic, EventPayload? payload = null)
    {
        TopicRules.Validate(topic);
        if (Lyndrix.Core.Events.EmitRule.Refusal(Manifest, topic, host.DomainOwners) is { } refusal)
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
        var id = provider.ProviderId;
        if (!TopicRules.IsValidProviderId(id))
        {
            throw Deny("auth_provider", id ?? "", $"Provider id '{id}' is invalid: use 1-64 lower-case letters, digits, '-' or '_'.");
        }

        if (BuiltInProviders.Contains(id) && Manifest.Id != "lyndrix.core." + id)
        {
            throw Deny("auth_provider", id, $"Module '{Manifest.Id}' may not register provider '{id}': '{id}' is a built-in provider id. Choose another id.");
        }

        host.AddProvider(provider);
    }

    private void CheckSecret(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!TopicRules.IsValidSecretKey(key))
        {
            throw new ArgumentException($"Secret key '{key}' is not allowed: use 1-128 letters, digits, '_', '-' and '.'.", nameof(key));
        }

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
