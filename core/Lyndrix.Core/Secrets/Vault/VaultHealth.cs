namespace Lyndrix.Core.Secrets.Vault;

/// <summary><c>sys/health</c>. Its status codes (200, 429, 472, 473, 501, 503) are answers, not failures.</summary>
internal sealed class VaultHealth
{
    public int StatusCode { get; set; }

    public bool Initialized { get; init; }

    public bool Sealed { get; init; }

    public bool Standby { get; init; }

    public bool PerformanceStandby { get; init; }

    public string? ReplicationDrMode { get; init; }

    public long ServerTimeUtc { get; init; }

    public string? Version { get; init; }

    public string? ClusterName { get; init; }
}
