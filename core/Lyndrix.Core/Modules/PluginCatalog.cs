using System.Collections.Immutable;
using Lyndrix.Core.Boot;
using Lyndrix.Core.Modules.Isolation;
using Lyndrix.Sdk;

namespace Lyndrix.Core.Modules;

/// <summary>
/// The plugins the runtime knows, by id, and every question about them as a set: listings, dependencies, dependents, counts.
/// Changed only by <see cref="PluginRuntime"/> while it holds its gate, which is the runtime's only lock: readers (listings,
/// health, metrics) never wait, because the set of entries is an immutable dictionary replaced whole and each entry's
/// state and reason are one immutable <see cref="PluginStatus"/>.
/// </summary>
internal sealed class PluginCatalog(IsolationSettings? isolation)
{
    private volatile ImmutableSortedDictionary<string, PluginEntry> _entries = ImmutableSortedDictionary.Create<string, PluginEntry>(StringComparer.Ordinal);

    /// <summary>Every entry, ordered by id.</summary>
    public IEnumerable<PluginEntry> All => _entries.Values;

    public PluginEntry? Find(string id) => _entries.GetValueOrDefault(id);

    public PluginEntry this[string id] => _entries[id];

    /// <summary>Adds the entry (or replaces the one of the same id).</summary>
    public void Add(PluginEntry entry) => _entries = _entries.SetItem(entry.Id, entry);

    public IReadOnlyList<PluginDescriptor> Descriptors() => All.Select(e => e.Descriptor).ToList();

    /// <summary>Which folder each id belongs to, leaving out <paramref name="except"/> (for de-duplicating a re-read folder).</summary>
    public Dictionary<string, string> FolderOwners(PluginEntry? except = null) =>
        All.Where(e => !ReferenceEquals(e, except)).ToDictionary(e => e.Id, e => e.Descriptor.Folder, StringComparer.Ordinal);

    /// <summary>Why the entry cannot start now because of its dependencies, or null when each is installed, of a matching
    /// version and active.</summary>
    public string? MissingDependency(PluginEntry entry)
    {
        foreach (var dependency in entry.RequireManifest().Dependencies)
        {
            var range = entry.Descriptor.DependencyRanges[dependency.Id];
            var target = Find(dependency.Id);
            if (target is null || !target.IsUsable)
            {
                return $"Blocked: it needs {dependency.Id} {range}, which is {(target is null ? "not installed" : "unusable (" + PluginStates.Name(target.State) + ")")}.";
            }

            if (!range.IsSatisfiedBy(target.Descriptor.Version!))
            {
                return $"Blocked: it needs {dependency.Id} {range}, but version {target.Manifest.Version} is installed.";
            }

            if (target.State != PluginState.Active)
            {
                return $"Blocked: it needs {dependency.Id}, which is {PluginStates.Name(target.State)}.";
            }
        }

        return null;
    }

    /// <summary>The active plugins that depend on <paramref name="id"/>.</summary>
    public IReadOnlyList<PluginEntry> ActiveDependentsOf(string id) =>
        All.Where(e => e.State == PluginState.Active && e.Manifest is { } m && m.Dependencies.Any(d => d.Id == id)).ToList();

    /// <summary>Blocked, enabled plugins whose dependencies are all active now.</summary>
    public IReadOnlyList<PluginEntry> Unblocked() =>
        All.Where(e => e.State == PluginState.Blocked && e.Enabled && e.IsUsable && MissingDependency(e) is null).ToList();

    public IReadOnlyList<(string Id, ILyndrixModule Module)> ActiveModules() =>
        All.Where(e => e.State == PluginState.Active && e.Module is not null).Select(e => (e.Id, e.Module!)).ToList();

    public IReadOnlyList<UnwellPlugin> EnabledButNotRunning() =>
        All.Where(e => e.Enabled && e.State is PluginState.Failed or PluginState.Blocked)
            .Select(e => new UnwellPlugin(e.Id, e.State, e.Reason)).ToList();

    public PluginStartSummary Summary()
    {
        var states = All.Select(e => e.State).ToList();
        return new PluginStartSummary(
            states.Count(s => s == PluginState.Active),
            states.Count(s => s == PluginState.Failed),
            states.Count(s => s is PluginState.Blocked or PluginState.Degraded),
            states.Count(s => s == PluginState.Disabled));
    }

    public IReadOnlyList<PluginInfo> List() => All.Select(Describe).ToList();

    /// <summary>The entry as the API and CLI show it.</summary>
    public PluginInfo Describe(PluginEntry e)
    {
        var d = e.Descriptor;
        var m = d.Manifest;
        var status = e.Status;
        return new PluginInfo
        {
            Id = e.Id,
            Name = m?.Name,
            Version = m?.Version,
            State = status.State,
            Reason = status.Reason,
            Enabled = e.Enabled,
            Loaded = e.Code is not null,
            HeldContexts = e.HeldContexts,
            Origin = d.Origin == PluginOrigin.BuiltIn ? "builtin" : "plugins_dir",
            Trust = e.Trust,
            Isolation = isolation?.ModeFor(d) ?? IsolationSettings.InProcess,
            ProcessId = e.Isolated?.ProcessId,
            Type = m is null ? null : (m.Type == ModuleType.Core ? "CORE" : "PLUGIN"),
            Folder = d.Folder,
            Author = m?.Author,
            Description = m?.Description,
            Dependencies = m?.Dependencies.Select(x => new PluginDependencyInfo(x.Id, x.Version)).ToList() ?? [],
            Subscribe = m?.Permissions.Subscribe ?? [],
            Emit = m?.Permissions.Emit ?? [],
            Errors = d.Errors,
            Warnings = d.Warnings,
        };
    }
}
