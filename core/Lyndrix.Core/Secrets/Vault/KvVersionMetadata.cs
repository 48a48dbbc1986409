using System.Text.Json.Serialization;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>Metadata of one KV v2 version, as read, written and patched (reference §4).</summary>
internal sealed class KvVersionMetadata
{
    public int Version { get; init; }

    [JsonPropertyName("created_time")]
    public string? CreatedTimeText { get; init; }

    /// <summary>Empty when not deleted; may be a future time with <c>delete_version_after</c>.</summary>
    [JsonPropertyName("deletion_time")]
    public string? DeletionTimeText { get; init; }

    public bool Destroyed { get; init; }

    public IReadOnlyDictionary<string, string>? CustomMetadata { get; init; }

    [JsonIgnore]
    public DateTimeOffset? CreatedTime => VaultJson.ParseTime(CreatedTimeText);

    [JsonIgnore]
    public DateTimeOffset? DeletionTime => VaultJson.ParseTime(DeletionTimeText);
}
