using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace Lyndrix.Core.Backup;

/// <summary>
/// What an archive holds once decrypted: a zip of <c>manifest.json</c> and the parts it lists. <see cref="Unpack"/> checks
/// every part against the manifest's SHA-256 and size, and that no part is missing or extra.
/// </summary>
internal sealed class BackupContents
{
    public const string ManifestEntry = "manifest.json";

    public BackupContents(BackupManifest manifest, IReadOnlyDictionary<string, byte[]> parts)
    {
        Manifest = manifest;
        Parts = parts;
    }

    public BackupManifest Manifest { get; }

    public IReadOnlyDictionary<string, byte[]> Parts { get; }

    public static BackupPart Describe(string name, byte[] bytes, long count) => new(name, Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.LongLength, count);

    public IReadOnlyList<SecretDump> ReadSecrets() => JsonSerializer.Deserialize<List<SecretDump>>(Parts[BackupManifest.SecretsPart]) ?? [];

    public IReadOnlyList<PluginCatalogEntry> ReadPlugins() =>
        Parts.TryGetValue(BackupManifest.PluginsPart, out var bytes) ? JsonSerializer.Deserialize<List<PluginCatalogEntry>>(bytes) ?? [] : [];

    public byte[] Pack()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(zip, ManifestEntry, JsonSerializer.SerializeToUtf8Bytes(Manifest));
            foreach (var part in Manifest.Parts)
            {
                Add(zip, part.Name, Parts[part.Name]);
            }
        }

        return buffer.ToArray();
    }

    public static BackupContents Unpack(byte[] plaintext, string source)
    {
        var parts = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        BackupManifest? manifest = null;
        try
        {
            using var zip = new ZipArchive(new MemoryStream(plaintext, writable: false), ZipArchiveMode.Read);
            foreach (var entry in zip.Entries)
            {
                using var stream = entry.Open();
                using var bytes = new MemoryStream();
                stream.CopyTo(bytes);
                if (entry.FullName == ManifestEntry)
                {
                    manifest = JsonSerializer.Deserialize<BackupManifest>(bytes.ToArray());
                }
                else
                {
                    parts[entry.FullName] = bytes.ToArray();
                }
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or JsonException or IOException)
        {
            throw new BackupException(BackupProblem.Damaged, $"{source} decrypts, but its contents cannot be read ({ex.GetType().Name}): it was written incompletely.", ex);
        }

        if (manifest is null)
        {
            throw new BackupException(BackupProblem.Damaged, $"{source} has no manifest: it was written incompletely.");
        }

        foreach (var part in manifest.Parts)
        {
            if (!parts.TryGetValue(part.Name, out var bytes))
            {
                throw new BackupException(BackupProblem.Damaged, $"{source} lacks its part {part.Name}, which the manifest lists.");
            }

            var actual = Describe(part.Name, bytes, part.Count);
            if (actual.Sha256 != part.Sha256 || actual.Bytes != part.Bytes)
            {
                throw new BackupException(BackupProblem.Damaged,
                    $"{source}: part {part.Name} does not match the manifest (SHA-256 {actual.Sha256[..12]}… instead of {part.Sha256[..Math.Min(12, part.Sha256.Length)]}…).");
            }
        }

        var extra = parts.Keys.Where(k => manifest.Parts.All(p => p.Name != k)).ToList();
        if (extra.Count > 0 || !parts.ContainsKey(BackupManifest.DatabasePart) || !parts.ContainsKey(BackupManifest.SecretsPart))
        {
            throw new BackupException(BackupProblem.Damaged,
                $"{source} holds parts the manifest does not list ({string.Join(", ", extra)}) or lacks the database or secrets part.");
        }

        return new BackupContents(manifest, parts);
    }

    private static void Add(ZipArchive zip, string name, byte[] bytes)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Fastest);
        using var stream = entry.Open();
        stream.Write(bytes);
    }
}
