using System.Collections.Concurrent;
using Lyndrix.Core.Audit;
using Lyndrix.Core.Metrics;
using Lyndrix.Sdk;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Secrets.Scopes;

/// <summary>Hands each module its scope: <c>plugins/&lt;id&gt;</c>, or <c>core/&lt;id&gt;</c> for core modules, in mount <c>lyndrix</c>.</summary>
/// <param name="audit">When set (the host), every read and write of a scope is audited (and counted in <paramref name="metrics"/>).</param>
internal sealed class ModuleSecretScopeFactory(ISecretBackend backend, SecretStoreSettings settings, TimeProvider time, ILoggerFactory loggers,
    AuditTrail? audit = null, LyndrixMetrics? metrics = null)
    : IModuleSecretScopeFactory
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _pathLocks = new(StringComparer.Ordinal);
    private readonly ILogger _logger = loggers.CreateLogger<ModuleSecretScope>();

    public static string PathFor(ModuleManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (SecretNameRules.CheckModuleId(manifest.Id) is { } problem)
        {
            throw new ArgumentException($"{problem} Module secrets live under the id, so it must be a safe path segment.", nameof(manifest));
        }

        return (manifest.Type == ModuleType.Core ? "core/" : "plugins/") + manifest.Id;
    }

    public IModuleSecretScope For(ModuleManifest manifest)
    {
        var path = PathFor(manifest);
        var scope = new ModuleSecretScope(path, manifest.Id, () => backend.Store, _pathLocks.GetOrAdd(path, _ => new SemaphoreSlim(1, 1)),
            settings.CasAttempts, time, _logger);
        return audit is null ? scope : new AuditedSecretScope(scope, manifest.Id, audit, metrics);
    }
}
