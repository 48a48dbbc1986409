namespace Lyndrix.Core.Secrets.Vault;

/// <summary><c>sys/seal-status</c> (and the answer of <c>sys/unseal</c>).</summary>
internal sealed class VaultSealStatus
{
    public string Type { get; init; } = "";

    /// <summary>A seal that unseals itself (transit, cloud KMS, PKCS#11): Vault is initialized with recovery shares, and
    /// <see cref="T"/>/<see cref="N"/> describe the recovery keys, which cannot unseal.</summary>
    public bool IsAutoUnseal => Type.Length > 0 && Type != "shamir";

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
