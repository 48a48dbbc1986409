using System.Collections.Concurrent;
using Lyndrix.Sdk;

namespace Lyndrix.Core.Modules;

/// <summary>Which installed modules claim each topic domain (their id and their <c>event_domains</c>), from the host's own
/// copies of their manifests. The emit rule asks it; the plugin runtime keeps it up to date as folders come and go.</summary>
internal sealed class EventDomainOwners
{
    private readonly ConcurrentDictionary<string, ModuleManifest> _installed = new(StringComparer.Ordinal);

    public void Set(ModuleManifest manifest) => _installed[manifest.Id] = manifest;

    public void Remove(string id) => _installed.TryRemove(id, out _);

    public IReadOnlyList<ModuleManifest> OwnersOf(string domain) =>
        _installed.Values.Where(m => m.OwnsDomain(domain)).OrderBy(m => m.Id, StringComparer.Ordinal).ToList();
}
