namespace Lyndrix.Core.Secrets.Vault;

/// <summary><c>sys/seal-status</c> (and the answer of <c>sys/unseal</c>).</summary>
internal sealed class VaultSealStatus
{
    public string Type { get; init; } = "";

    public bool Initialized { get; init; }

    public bool Sealed { get; init; }

    /// <summary>Threshold: shares needed to unseal.</summary>
    public int T { get; init; }

    /// <summary>Number of shares.</summary>
    public int N { get; init; }

    public int Progress { get; init; }

    public string? Version { get; init; }

    public string? ClusterName { get; init; }

    public string? StorageType { get; init; }
}
