namespace Lyndrix.Core.Modules;

/// <summary>Finds plugin folders and reads their manifests; never loads code.</summary>
internal static class PluginDiscovery
{
    /// <summary>Scans the built-in modules folder, then <c>PLUGINS_DIR</c>. Folders whose names start with <c>.</c> or
    /// <c>__</c> are skipped. When two folders claim the same id, both are refused (neither may take the other's
    /// identity and secrets), with a reason naming both folders.</summary>
    public static IReadOnlyList<PluginDescriptor> Scan(string? builtInDir, string pluginsDir)
    {
        var found = new List<PluginDescriptor>();
        foreach (var (dir, origin) in new[] { (builtInDir, PluginOrigin.BuiltIn), (pluginsDir, PluginOrigin.PluginsDirectory) })
        {
            found.AddRange(Folders(dir).Select(folder => PluginManifestReader.Read(folder, origin)));
        }

        var claims = found.Where(d => ClaimedId(d) is not null).GroupBy(d => ClaimedId(d)!, StringComparer.Ordinal)
            .Where(g => g.Count() > 1).ToDictionary(g => g.Key, g => g.Select(d => d.Folder).ToList(), StringComparer.Ordinal);
        return found.Select(d => ClaimedId(d) is { } id && claims.TryGetValue(id, out var folders)
            ? Refuse(d, $"Id '{id}' is claimed by {folders.Count} folders ({string.Join(", ", folders)}); none of them is loaded, " +
                        "since either could be posing as the other. Remove all but one.")
            : d).ToList();
    }

    public static IEnumerable<string> Folders(string? dir)
    {
        if (string.IsNullOrEmpty(dir) || !Directory.Exists(dir))
        {
            return [];
        }

        return Directory.EnumerateDirectories(dir)
            .Where(d => Path.GetFileName(d) is var n && !n.StartsWith('.') && !n.StartsWith("__", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
    }

    private static string? ClaimedId(PluginDescriptor d) => d.Manifest?.Id ?? d.KnownId;

    // The id is dropped too, so the refused folders are listed by folder name and never stand for the id.
    private static PluginDescriptor Refuse(PluginDescriptor d, string error) =>
        d with { Manifest = null, KnownId = null, Errors = [.. d.Errors, error] };

    /// <summary>Marks a descriptor (found by a rescan or reload) whose id is already taken as invalid.</summary>
    public static PluginDescriptor Deduplicate(PluginDescriptor descriptor, Dictionary<string, string> owners)
    {
        var id = descriptor.Manifest?.Id ?? descriptor.KnownId;
        if (id is null)
        {
            return descriptor;
        }

        if (owners.TryGetValue(id, out var owner))
        {
            return Refuse(descriptor, $"Id '{id}' is already used by the plugin in {owner}; ids must be unique, so the folder {descriptor.Folder} " +
                                      "is not loaded (the running plugin keeps its id until the next start, when both folders are refused). Remove one of the two folders.");
        }

        owners[id] = descriptor.Folder;
        return descriptor;
    }
}
