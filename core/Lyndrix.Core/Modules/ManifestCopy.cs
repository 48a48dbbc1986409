using System.Collections.ObjectModel;
using Lyndrix.Sdk;

namespace Lyndrix.Core.Modules;

/// <summary>
/// Deep, read-only copies of a manifest. The host keeps one copy to check permissions against and hands a plugin
/// another, so nothing a plugin does to the object it holds (casting a list to <see cref="List{T}"/>, a <c>with</c>
/// expression, even private reflection) changes what the host allows.
/// </summary>
internal static class ManifestCopy
{
    public static ModuleManifest Freeze(ModuleManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest with
        {
            Dependencies = ReadOnly(manifest.Dependencies.Select(d => d with { })),
            Permissions = manifest.Permissions with
            {
                Subscribe = ReadOnly(manifest.Permissions.Subscribe),
                Emit = ReadOnly(manifest.Permissions.Emit),
                VaultPaths = ReadOnly(manifest.Permissions.VaultPaths),
            },
            SettingsSchema = ReadOnly(manifest.SettingsSchema.Select(s => s with { Options = ReadOnly(s.Options) })),
            EventDomains = ReadOnly(manifest.EventDomains),
            EventEmitters = ReadOnly(manifest.EventEmitters),
        };
    }

    // A ReadOnlyCollection over a private array: casting it to List<T> fails, and IList<T>'s mutators throw.
    private static ReadOnlyCollection<T> ReadOnly<T>(IEnumerable<T> items) => Array.AsReadOnly(items.ToArray());
}
