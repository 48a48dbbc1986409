namespace Lyndrix.Core.Modules;

/// <summary>
/// The start order of plugins by their declared dependencies, independent of folder scan order: <see cref="Levels"/>
/// lists ids in waves, each depending only on earlier waves. Plugins whose dependencies are missing, of the wrong
/// version, unusable or part of a cycle are in <see cref="Blocked"/> with the reason, and so is everything downstream.
/// </summary>
internal sealed class DependencyPlan
{
    private DependencyPlan(IReadOnlyList<IReadOnlyList<string>> levels, IReadOnlyDictionary<string, string> blocked)
    {
        Levels = levels;
        Blocked = blocked;
    }

    public IReadOnlyList<IReadOnlyList<string>> Levels { get; }

    public IReadOnlyDictionary<string, string> Blocked { get; }

    public IEnumerable<string> Order => Levels.SelectMany(l => l);

    /// <param name="plugins">Every discovered plugin, usable or not (unusable ones block their dependents).</param>
    public static DependencyPlan Build(IEnumerable<PluginDescriptor> plugins)
    {
        var all = plugins.ToList();
        var usable = all.Where(p => p.IsValid && p.Incompatibility is null).ToDictionary(p => p.Manifest!.Id, StringComparer.Ordinal);
        var unusable = all.Where(p => !(p.IsValid && p.Incompatibility is null)).ToDictionary(p => p.Key, StringComparer.Ordinal);
        var blocked = new Dictionary<string, string>(StringComparer.Ordinal);

        // Direct problems: a dependency missing, unusable or of a version outside the range.
        foreach (var (id, plugin) in usable)
        {
            var problems = new List<string>();
            foreach (var dependency in plugin.Manifest!.Dependencies)
            {
                var range = plugin.DependencyRanges[dependency.Id];
                if (usable.TryGetValue(dependency.Id, out var target))
                {
                    if (!range.IsSatisfiedBy(target.Version!))
                    {
                        problems.Add($"needs {dependency.Id} {range}, but version {target.Manifest!.Version} is installed");
                    }
                }
                else if (unusable.TryGetValue(dependency.Id, out var broken))
                {
                    problems.Add($"needs {dependency.Id}, which cannot start ({(broken.Incompatibility is not null ? "degraded: needs a newer plugin API" : "its manifest is invalid")})");
                }
                else
                {
                    problems.Add($"needs {dependency.Id} {range}, which is not installed");
                }
            }

            if (problems.Count > 0)
            {
                blocked[id] = "Blocked: " + string.Join("; ", problems) + ".";
            }
        }

        // Kahn's algorithm; ties broken by id so the order is stable.
        var remaining = usable.Keys.ToHashSet(StringComparer.Ordinal);
        var levels = new List<IReadOnlyList<string>>();
        while (true)
        {
            var ready = remaining
                .Where(id => usable[id].Manifest!.Dependencies.All(d => !remaining.Contains(d.Id)))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (ready.Count == 0)
            {
                break;
            }

            foreach (var id in ready)
            {
                remaining.Remove(id);
            }

            levels.Add(ready);
        }

        foreach (var id in remaining.Order(StringComparer.Ordinal))
        {
            var cycle = FindCycle(id, usable);
            blocked[id] = cycle is null
                ? "Blocked: it depends on plugins in a dependency cycle, which can never start."
                : $"Blocked: dependency cycle {string.Join(" -> ", cycle)}; plugins in a cycle can never start. Remove one of these dependencies.";
        }

        // Anything that depends (transitively) on a blocked plugin cannot start either.
        bool changed;
        do
        {
            changed = false;
            foreach (var (id, plugin) in usable)
            {
                if (blocked.ContainsKey(id))
                {
                    continue;
                }

                var blocker = plugin.Manifest!.Dependencies.FirstOrDefault(d => blocked.ContainsKey(d.Id));
                if (blocker is not null)
                {
                    blocked[id] = $"Blocked: it needs {blocker.Id}, which is blocked.";
                    changed = true;
                }
            }
        }
        while (changed);

        var startable = levels.Select(l => (IReadOnlyList<string>)l.Where(id => !blocked.ContainsKey(id)).ToList())
            .Where(l => l.Count > 0)
            .ToList();
        return new DependencyPlan(startable, blocked);
    }

    private static List<string>? FindCycle(string start, Dictionary<string, PluginDescriptor> usable)
    {
        var path = new List<string>();
        var onPath = new HashSet<string>(StringComparer.Ordinal);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        return Visit(start);

        List<string>? Visit(string id)
        {
            if (onPath.Contains(id))
            {
                var from = path.IndexOf(id);
                return [.. path.Skip(from), id];
            }

            if (!visited.Add(id) || !usable.TryGetValue(id, out var plugin))
            {
                return null;
            }

            path.Add(id);
            onPath.Add(id);
            foreach (var dependency in plugin.Manifest!.Dependencies.Select(d => d.Id).Order(StringComparer.Ordinal))
            {
                var cycle = Visit(dependency);
                if (cycle is not null)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            onPath.Remove(id);
            return null;
        }
    }
}
