using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Lyndrix.Core.Modules;

namespace Lyndrix.Sdk.Testing;

/// <summary>
/// Process mode loads the plugin as the host does, from a folder of the plugin's own files. A test's output folder also holds
/// the shared assemblies (<c>Lyndrix.Sdk</c>, the logging abstractions), which the host refuses in a plugin folder, and the
/// test's own assemblies, which the plugin never uses. So the kit copies <c>plugin.json</c>, the entry assembly and the
/// assemblies it references (transitively) that the folder holds, and leaves the shared ones out, as the SDK's build does for
/// a published plugin.
/// </summary>
internal static class PluginFolderStaging
{
    public static void Copy(string from, string entryAssembly, string to)
    {
        Directory.CreateDirectory(to);
        File.Copy(Path.Combine(from, "plugin.json"), Path.Combine(to, "plugin.json"));
        var shared = SharedAssemblyPolicy.Host.Assemblies.Keys.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var pending = new Queue<string>([Path.GetFileNameWithoutExtension(entryAssembly)]);
        var copied = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (pending.TryDequeue(out var name))
        {
            var file = Path.Combine(from, name + ".dll");
            if (shared.Contains(name) || !copied.Add(name) || !File.Exists(file))
            {
                continue;
            }

            File.Copy(file, Path.Combine(to, name + ".dll"));
            foreach (var reference in References(file))
            {
                pending.Enqueue(reference);
            }
        }
    }

    private static IEnumerable<string> References(string file)
    {
        using var stream = File.OpenRead(file);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        return metadata.AssemblyReferences.Select(h => metadata.GetString(metadata.GetAssemblyReference(h).Name)).ToList();
    }
}
