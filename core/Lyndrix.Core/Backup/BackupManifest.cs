using System.Text.Json.Serialization;

namespace Lyndrix.Core.Backup;

/// <summary>The archive's <c>manifest.json</c>: what was backed up, from what, by which version, and a SHA-256 per part.</summary>
internal sealed record BackupManifest
{
    public const string DatabasePart = "database.json";
    public const string SecretsPart = "secrets.json";
    public const string KeyFilePart = "vault_keys.enc";
    public const string PluginsPart = "plugins.json";

    [JsonPropertyName("format")] public required int Format { get; init; }

    [JsonPropertyName("created_at")] public required DateTimeOffset CreatedAt { get; init; }

    [JsonPropertyName("lyndrix_version")] public required string LyndrixVersion { get; init; }

    /// <summary><c>embedded</c> or <c>vault</c>.</summary>
    [JsonPropertyName("secret_backend")] public required string SecretBackend { get; init; }

    /// <summary><c>sqlite</c> or <c>mariadb</c>.</summary>
    [JsonPropertyName("database")] public required string Database { get; init; }

    /// <summary>The newest core migration applied in the source; a target that knows fewer cannot take the backup.</summary>
    [JsonPropertyName("core_schema_version")] public required int CoreSchemaVersion { get; init; }

    /// <summary>Rows per table.</summary>
    [JsonPropertyName("tables")] public required IReadOnlyDictionary<string, long> Tables { get; init; }

    [JsonPropertyName("secrets")] public required int Secrets { get; init; }

    [JsonPropertyName("plugins")] public required int Plugins { get; init; }

    [JsonPropertyName("parts")] public required IReadOnlyList<BackupPart> Parts { get; init; }
}
