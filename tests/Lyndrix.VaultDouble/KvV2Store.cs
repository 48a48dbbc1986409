namespace Lyndrix.VaultDouble;

/// <summary>The state of one KV v2 mount: engine config and keys.</summary>
internal sealed class KvV2Store
{
    public const int DefaultMaxVersions = 10;

    public int MaxVersions { get; set; }

    public bool CasRequired { get; set; }

    public TimeSpan DeleteVersionAfter { get; set; }

    public Dictionary<string, KvKeyMetadata> Keys { get; } = new(StringComparer.Ordinal);

    /// <summary>Requests still to be refused with the "Upgrading from non-versioned to versioned data" 400 (reference §3).</summary>
    public int UpgradeRequestsRemaining { get; set; }
}
