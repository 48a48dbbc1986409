using System.Collections.Concurrent;
using Lyndrix.Core.Auth;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Auth;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.IntegrationTests.Auth;

/// <summary>
/// A small <see cref="IModuleContext"/> for driving the first-party provider modules in tests until the plugin runtime
/// loads them: settings come through the same overlay the runtime applies, secrets from a dictionary standing for the
/// module's own secret path, providers go into a real <see cref="AuthProviderRegistry"/> under the module's id.
/// </summary>
internal sealed class TestModuleContext(ModuleManifest manifest, IReadOnlyDictionary<string, string?> settings, AuthProviderRegistry registry,
    ILogger logger) : IModuleContext
{
    public ConcurrentDictionary<string, string> Secrets { get; } = new(StringComparer.Ordinal);

    public bool SecretStoreSealed { get; set; }

    public ModuleManifest Manifest => manifest;

    public ILogger Logger => logger;

    public CancellationToken Stopping => CancellationToken.None;

    public IReadOnlyDictionary<string, string?> Settings => settings;

    public static TestModuleContext ForFirstParty(string moduleId, AuthSettings auth, AuthProviderRegistry registry, ILogger logger)
    {
        var manifest = new ModuleManifest { Id = moduleId, Name = moduleId, Version = "1.0.0", Type = ModuleType.Core };
        return new TestModuleContext(manifest, new FirstPartyAuthModules(auth).Apply(manifest, new Dictionary<string, string?>()), registry, logger);
    }

    public Task<string?> GetSecretAsync(string key, CancellationToken cancellationToken = default) =>
        SecretStoreSealed
            ? throw new SecretStoreUnavailableException("The secret store is sealed.")
            : Task.FromResult(Secrets.TryGetValue(key, out var v) ? v : null);

    public Task SetSecretAsync(string key, string value, CancellationToken cancellationToken = default)
    {
        Secrets[key] = value;
        return Task.CompletedTask;
    }

    public IDisposable Subscribe(string topic, Func<LyndrixEvent, CancellationToken, Task> handler) =>
        throw new ModulePermissionDeniedException(manifest.Id, "subscribe", topic, "The test context declares no topics.");

    public void Emit(string topic, EventPayload? payload = null) =>
        throw new ModulePermissionDeniedException(manifest.Id, "emit", topic, "The test context declares no topics.");

    public Task CreateTask(string name, Func<CancellationToken, Task> work) => Task.Run(() => work(CancellationToken.None));

    public void RegisterAuthProvider(IAuthProvider provider) => registry.Register(manifest.Id, provider);
}
