using System.Text.Json.Serialization;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>Key metadata of a KV v2 secret (<c>GET &lt;mount&gt;/metadata/&lt;path&gt;</c>); version keys arrive as strings.</summary>
internal sealed class KvSecretMetadata
{
    public int CurrentVersion { get; init; }

    public int OldestVersion { get; init; }

    public int MaxVersions { get; init; }

    public bool CasRequired { get; init; }

    public string? DeleteVersionAfter { get; init; }

    public IReadOnlyDictionary<string, string>? CustomMetadata { get; init; }

    [JsonPropertyName("created_time")]
    public string? CreatedTimeText { get; init; }

    [JsonPropertyName("updated_time")]
    public string? UpdatedTimeText { get; init; }

    public IReadOnlyDictionary<int, KvVersionState> Versions { get; init; } = new Dictionary<int, KvVersionState>();
}
