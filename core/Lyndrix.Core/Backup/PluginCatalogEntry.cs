using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Modules.Trust;

namespace Lyndrix.Core.Backup;

/// <summary>A plugin folder of <c>PLUGINS_DIR</c> as the backup records it: id, version and the SHA-256 of its canonical file
/// digest (the one trust pins use). Plugin code is not data: a restore only says which recorded plugins the target lacks.</summary>
internal sealed record PluginCatalogEntry(
    [property: JsonPropertyName("folder")] string Folder,
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("digest_sha256")] string? DigestSha256)
{
    public static IReadOnlyList<PluginCatalogEntry> Scan(string pluginsDir) =>
        PluginDiscovery.Scan(null, pluginsDir).Select(d =>
        {
            string? digest = null;
            if (d.Manifest is { } manifest)
            {
                try
                {
                    digest = Convert.ToHexStringLower(SHA256.HashData(PluginFolderDigest.Compute(d.Folder, manifest.Id, manifest.Version).CanonicalBytes()));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Unreadable files: the entry still names the plugin.
                }
            }

            return new PluginCatalogEntry(Path.GetFileName(d.Folder), d.Manifest?.Id, d.Manifest?.Version, digest);
        }).ToList();
}
