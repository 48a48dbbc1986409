using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary>One version of a KV v2 secret.</summary>
internal sealed class KvVersion
{
    public required DateTimeOffset CreatedTime { get; init; }

    /// <summary>Null when not deleted; may lie in the future with <c>delete_version_after</c>.</summary>
    public DateTimeOffset? DeletionTime { get; set; }

    public bool Destroyed { get; set; }

    /// <summary>Null once destroyed.</summary>
    public JsonObject? Data { get; set; }

    public bool IsDeleted(DateTimeOffset now) => DeletionTime is not null && DeletionTime.Value <= now;
}
