using System.Text.Json.Serialization;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>One entry of the <c>versions</c> map of KV v2 key metadata.</summary>
internal sealed class KvVersionState
{
    [JsonPropertyName("created_time")]
    public string? CreatedTimeText { get; init; }

    [JsonPropertyName("deletion_time")]
    public string? DeletionTimeText { get; init; }

    public bool Destroyed { get; init; }

    [JsonIgnore]
    public bool IsDeleted => !string.IsNullOrEmpty(DeletionTimeText);
}
