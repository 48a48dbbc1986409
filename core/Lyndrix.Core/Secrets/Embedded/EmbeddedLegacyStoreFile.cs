using System.Security.Cryptography;
using System.Text.Json;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>
/// <c>embedded_secrets.json</c>, the format 1 store earlier hosts wrote (one JSON document, latest version of each secret).
/// Only read, to migrate it into the SQLite store.
/// </summary>
internal sealed class EmbeddedLegacyStoreFile(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public string MigratedPath => Path + ".migrated";

    public bool Exists => File.Exists(Path);

    /// <summary>The parsed document and the SHA-256 of the exact bytes it was parsed from.</summary>
    /// <exception cref="InvalidDataException">The file is not a format 1 store.</exception>
    public (EmbeddedStoreDocument Document, string Sha256) Load()
    {
        var bytes = File.ReadAllBytes(Path);
        EmbeddedStoreDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<EmbeddedStoreDocument>(bytes);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException(
                $"The embedded secret store {Path} is not valid JSON (line {ex.LineNumber + 1}): it was damaged or edited, so it cannot be " +
                "migrated. Nothing was changed. Restore it from the backup taken together with vault_keys.enc and start again.", ex);
        }

        if (document is null || document.Format != EmbeddedStoreDocument.CurrentFormat || document.FormatVersion != EmbeddedStoreDocument.CurrentFormatVersion
            || document.KeyCheck is null || document.Secrets is null)
        {
            throw new InvalidDataException(
                $"The embedded secret store {Path} is not a '{EmbeddedStoreDocument.CurrentFormat}' version {EmbeddedStoreDocument.CurrentFormatVersion} " +
                "file, so it cannot be migrated. Nothing was changed. Restore the right file from a backup.");
        }

        return (document, HashOf(bytes));
    }

    public static string HashOf(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public string CurrentHash() => HashOf(File.ReadAllBytes(Path));
}
