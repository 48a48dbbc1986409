using System.Text.Json;
using Lyndrix.Sdk;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>
/// What a spare plugin process does before it reports ready: it walks the path a plugin's setup will take — the manifest read
/// and parsed, the code loaded into a collectible context with the shared-assembly checks, then unloaded — on one of the host's
/// own built-in modules (first-party code shipped beside the executable; no module is created, none of its code runs). The
/// plugin that takes the spare later then finds that path compiled and its caches filled, instead of paying for it in its
/// start. Best effort: without a built-in module, or if anything fails, the spare is simply less warm.
/// </summary>
internal static class ChildRehearsal
{
    /// <summary>Runs the rehearsal; returns what it did, for the host's debug log.</summary>
    public static string Run()
    {
        try
        {
            var modules = Path.Combine(AppContext.BaseDirectory, "modules");
            var folder = Directory.Exists(modules)
                ? Directory.EnumerateDirectories(modules).Order(StringComparer.Ordinal).FirstOrDefault(d => File.Exists(Path.Combine(d, PluginManifestReader.FileName)))
                : null;
            if (folder is null)
            {
                return "spare ready; no built-in module to rehearse on";
            }

            var descriptor = PluginManifestReader.Read(folder, PluginOrigin.BuiltIn);
            if (!descriptor.IsValid)
            {
                return $"spare ready; {folder} is no valid module to rehearse on";
            }

            _ = JsonSerializer.Deserialize<ModuleManifest>(JsonSerializer.Serialize(descriptor.Manifest));
            PluginCodeLoader.Load(descriptor, SharedAssemblyPolicy.Host).Unload();
            return $"spare ready; load path rehearsed on {folder}";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PluginLoadException or JsonException)
        {
            // Less warm, nothing worse: the plugin's own setup reports its own problems.
            return $"spare ready; rehearsal stopped: {ex.Message}";
        }
    }
}
