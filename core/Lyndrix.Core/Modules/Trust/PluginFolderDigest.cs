using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Lyndrix.Core.Modules.Trust;

/// <summary>
/// What a plugin folder holds, file by file, and the canonical text that pins and signatures cover:
/// <c>lyndrix-plugin-digest/1</c>, the id, the version, then one line <c>sha256 size path</c> per file in ordinal path
/// order. Every file counts (a dll added beside the others changes the digest); only the detached signature
/// (<see cref="PluginSignature.FileName"/>) is left out, since it signs the rest.
/// </summary>
internal sealed record PluginFolderDigest(string Id, string Version, IReadOnlyList<PluginFileDigest> Files)
{
    public const string Format = "lyndrix-plugin-digest/1";

    /// <summary>Hashes every file of <paramref name="folder"/>. Call <see cref="PluginFolderIntegrity.Check"/> first: this
    /// method trusts that nothing in the folder leads outside it.</summary>
    public static PluginFolderDigest Compute(string folder, string id, string version)
    {
        var root = Path.GetFullPath(folder);
        var files = new List<PluginFileDigest>();
        foreach (var file in Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (relative == PluginSignature.FileName)
            {
                continue;
            }

            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            var hash = SHA256.HashData(stream);
            files.Add(new PluginFileDigest(relative, stream.Length, Convert.ToHexStringLower(hash)));
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new PluginFolderDigest(id, version, files);
    }

    /// <summary>The exact bytes a signature covers.</summary>
    public byte[] CanonicalBytes()
    {
        var text = new StringBuilder();
        text.Append(Format).Append('\n').Append("id ").Append(Id).Append('\n').Append("version ").Append(Version).Append('\n');
        foreach (var f in Files)
        {
            text.Append(f.Sha256).Append(' ').Append(f.Size.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(f.Path).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>The first difference between what was pinned and what is on disk, in words naming the file; null when equal.</summary>
    public string? DifferenceFrom(PluginFolderDigest pinned)
    {
        if (pinned.Version != Version)
        {
            return $"the folder holds version {Version}, but version {pinned.Version} was pinned";
        }

        var now = Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var then = pinned.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        foreach (var f in pinned.Files)
        {
            if (!now.TryGetValue(f.Path, out var current))
            {
                return $"file '{f.Path}' was pinned but is missing";
            }

            if (current.Sha256 != f.Sha256 || current.Size != f.Size)
            {
                return $"file '{f.Path}' has changed since it was pinned (SHA-256 {current.Sha256[..12]}…, pinned {f.Sha256[..12]}…)";
            }
        }

        var added = Files.FirstOrDefault(f => !then.ContainsKey(f.Path));
        return added is null ? null : $"file '{added.Path}' was added after the folder was pinned";
    }
}
