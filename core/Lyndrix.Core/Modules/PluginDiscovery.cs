namespace Lyndrix.Core.Modules;

/// <summary>Finds plugin folders and reads their manifests; never loads code.</summary>
internal static class PluginDiscovery
{
    /// <summary>Scans the built-in modules folder, then <c>PLUGINS_DIR</c>. Folders whose names start with <c>.</c> or
    /// <c>__</c> are skipped. When two folders claim the same id, the first (built-in first, then by folder name) keeps
    /// it and the other is reported as invalid, so the outcome never depends on the file system's listing order.</summary>
    public static IReadOnlyList<PluginDescriptor> Scan(string? builtInDir, string pluginsDir)
    {
        var found = new List<PluginDescriptor>();
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (dir, origin) in new[] { (builtInDir, PluginOrigin.BuiltIn), (pluginsDir, PluginOrigin.PluginsDirectory) })
        {
            foreach (var folder in Folders(dir))
            {
                var descriptor = PluginManifestReader.Read(folder, origin);
                found.Add(Deduplicate(descriptor, owners));
            }
        }

        return found;
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

    /// <summary>Marks a descriptor whose id is already taken as invalid.</summary>
    public static PluginDescriptor Deduplicate(PluginDescriptor descriptor, Dictionary<string, string> owners)
    {
        var id = descriptor.Manifest?.Id ?? descriptor.KnownId;
        if (id is null)
        {
            return descriptor;
        }

        if (owners.TryGetValue(id, out var owner))
        {
            return descriptor with
            {
                Manifest = null,
                KnownId = null,
                Errors = [.. descriptor.Errors, $"Id '{id}' is already used by the plugin in {owner}; ids must be unique. Remove one of the two folders."],
            };
        }

        owners[id] = descriptor.Folder;
        return descriptor;
    }
}
