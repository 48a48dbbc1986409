namespace Lyndrix.Core.Modules.Trust;

/// <summary>
/// Refuses a plugin folder that reaches outside itself before anything in it is read: the folder must not resolve
/// outside the directory it was found in, and no file or subfolder in it may be a link resolving outside the folder.
/// </summary>
internal static class PluginFolderIntegrity
{
    /// <returns>Null when the folder is self-contained, else what leads out and where.</returns>
    public static string? Check(string folder)
    {
        var full = Path.GetFullPath(folder);
        var parent = Path.GetDirectoryName(full.TrimEnd(Path.DirectorySeparatorChar));
        string real;
        try
        {
            real = RealPath(full, 0);
            if (parent is not null && !IsUnder(real, RealPath(parent, 0)))
            {
                return $"The plugin folder {full} is a link to {real}, outside {parent}. Copy the plugin into the folder instead of linking it.";
            }

            foreach (var entry in new DirectoryInfo(full).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            {
                if (entry.LinkTarget is null)
                {
                    continue;
                }

                var target = Resolve(entry);
                if (!IsUnder(target, real))
                {
                    return $"'{Path.GetRelativePath(full, entry.FullName)}' in {full} is a link to {target}, outside the plugin folder. " +
                           "A plugin folder must hold its own files; replace the link with the file.";
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"The plugin folder {full} could not be checked ({ex.GetType().Name}: {ex.Message}).";
        }

        return null;
    }

    private static string Resolve(FileSystemInfo info) => RealPath(info.FullName, 0);

    /// <summary>The path with every link resolved, component by component (like realpath(3)).</summary>
    private static string RealPath(string path, int depth)
    {
        if (depth > 40)
        {
            throw new IOException($"Too many levels of links at {path}.");
        }

        path = Path.GetFullPath(path);
        var parent = Path.GetDirectoryName(path);
        if (parent is null)
        {
            return path;
        }

        var resolvedParent = RealPath(parent, depth);
        var candidate = Path.Combine(resolvedParent, Path.GetFileName(path));
        var target = new FileInfo(candidate).LinkTarget;
        return target is null ? candidate : RealPath(Path.IsPathRooted(target) ? target : Path.Combine(resolvedParent, target), depth + 1);
    }

    private static bool IsUnder(string path, string root)
    {
        var r = root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return path == root.TrimEnd(Path.DirectorySeparatorChar) || path.StartsWith(r, StringComparison.Ordinal);
    }
}
