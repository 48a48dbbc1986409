namespace Lyndrix.Core.Tests.Modules.Isolation;

/// <summary>What the kernel says about isolated plugins' processes and this process's open files (Linux /proc).</summary>
internal static class PluginChildren
{
    /// <summary>Live <c>plugin-host</c> processes whose parent is <paramref name="parent"/>.</summary>
    public static IReadOnlyList<int> Of(int parent)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] != "Z" && int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) == parent &&
                    File.ReadAllText(Path.Combine(dir, "cmdline")).Contains("plugin-host", StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        return found;
    }

    public static int OpenFileDescriptors() => Directory.GetFileSystemEntries("/proc/self/fd").Length;

    public static bool Alive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
}
