using Lyndrix.Core.Auth;
using Lyndrix.Core.Events;
using Lyndrix.Core.Secrets;
using Lyndrix.Sdk;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules;

/// <summary>
/// Makes each module's context: binds the module's identity (id, type, origin) into its ports once, from the host's own
/// copy of the manifest, so no operation the module can reach afterwards takes an id. The shared services stay here,
/// with the host.
/// </summary>
internal sealed class ModuleContextFactory(
    EventBus bus,
    TaskTracker tasks,
    IModuleSecretScopeFactory secrets,
    IAuthProviderRegistry providers,
    ILoggerFactory loggers)
{
    private readonly PermissionDenials _denials = new(bus, loggers);

    /// <summary>Which installed modules claim which topic domains; the runtime keeps it current.</summary>
    public EventDomainOwners Domains { get; } = new();

    public ModuleContext Create(ModuleManifest manifest, IReadOnlyDictionary<string, string?> settings)
    {
        var policy = ManifestCopy.Freeze(manifest);
        return new ModuleContext(
            policy,
            settings,
            new ModuleEventPort(policy, bus, Domains, _denials),
            new ModuleTaskPort(policy.Id, tasks),
            new ModuleProviderPort(policy.Id, providers, _denials),
            secrets.For(policy),
            loggers.CreateLogger(policy.Id));
    }
}
