namespace Lyndrix.VaultDouble;

/// <summary>Key metadata of a KV v2 secret: the version window and per-key settings.</summary>
internal sealed class KvKeyMetadata
{
    public required DateTimeOffset CreatedTime { get; set; }

    public required DateTimeOffset UpdatedTime { get; set; }

    /// <summary>Never reset by soft delete or destroy; only deleting the metadata starts over at 0.</summary>
    public int CurrentVersion { get; set; }

    public int OldestVersion { get; set; }

    public int MaxVersions { get; set; }

    public bool CasRequired { get; set; }

    public TimeSpan DeleteVersionAfter { get; set; }

    public Dictionary<string, string>? CustomMetadata { get; set; }

    public SortedDictionary<int, KvVersion> Versions { get; } = [];
}
