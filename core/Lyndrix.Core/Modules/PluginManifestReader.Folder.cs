using Lyndrix.Sdk;

namespace Lyndrix.Core.Modules;

/// <summary>The host's side of the manifest reader: a plugin folder is checked (no way out of it, a manifest present and of
/// sane size) before its <c>plugin.json</c> is validated by the shared rules.</summary>
internal static partial class PluginManifestReader
{
    private const int MaxManifestBytes = 1024 * 1024;

    public static PluginDescriptor Read(string folder, PluginOrigin origin) =>
        Read(folder, origin, SemanticVersion.Parse(LyndrixApi.Version));

    public static PluginDescriptor Read(string folder, PluginOrigin origin, SemanticVersion apiVersion)
    {
        folder = Path.GetFullPath(folder);
        var path = Path.Combine(folder, FileName);
        var errors = new List<string>();
        var warnings = new List<string>();
        if (Trust.PluginFolderIntegrity.Check(folder) is { } escape)
        {
            // Not even plugin.json is read from a folder that leads outside itself.
            errors.Add(escape);
            return Invalid(folder, origin, errors, warnings);
        }

        if (!File.Exists(path))
        {
            errors.Add($"No {FileName} in {folder}. Every plugin folder needs a manifest with id, name, version and entryAssembly; " +
                       "a project that references the Lyndrix.Sdk package copies it into its output.");
            return Invalid(folder, origin, errors, warnings);
        }

        var length = new FileInfo(path).Length;
        if (length > MaxManifestBytes)
        {
            errors.Add($"{FileName} is {length} bytes; a manifest larger than {MaxManifestBytes} bytes is refused.");
            return Invalid(folder, origin, errors, warnings);
        }

        return Parse(File.ReadAllBytes(path), folder, origin, apiVersion);
    }
}
