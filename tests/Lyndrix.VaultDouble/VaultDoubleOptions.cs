using System.Security.Cryptography.X509Certificates;

namespace Lyndrix.VaultDouble;

/// <summary>Settings of a double (and of the state it shares with its peers).</summary>
public sealed class VaultDoubleOptions
{
    /// <summary>Clock for token TTLs, secret ID TTLs and KV timestamps. Injected delays (latency faults) always use real time.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>When set, the double listens with TLS using this certificate (it must carry its private key).</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Status of "path is already in use" when enabling a mount: 400 as Vault's HTTP layer answers, or 409 (reference §3, §11).</summary>
    public int MountConflictStatus { get; set; } = 400;

    public InvalidTokenStyle InvalidTokenStyle { get; set; } = InvalidTokenStyle.MultiError;

    /// <summary>Whether envelopes carry <c>mount_type</c> (newer Vault) or not (OpenBao, older Vault).</summary>
    public bool IncludeMountType { get; set; } = true;

    /// <summary>How many requests to a freshly enabled KV v2 mount get the "Upgrading ..." 400 before it serves.</summary>
    public int KvUpgradeRequests { get; set; }

    /// <summary>When set (e.g. <c>team-a/</c>), the cluster lives in this Enterprise namespace: logical requests must send a
    /// matching <c>X-Vault-Namespace</c>, otherwise tokens are refused (403) and logins find no role (400), as tokens and roles
    /// are namespace-scoped. The seal endpoints do not care.</summary>
    public string? Namespace { get; set; }

    public string Name { get; init; } = "vault-double";

    /// <summary>The seal: <c>shamir</c> (default, unsealed with key shares) or an auto-unseal seal such as <c>transit</c> or
    /// <c>awskms</c>. An auto-unseal cluster is initialized with <c>recovery_shares</c>/<c>recovery_threshold</c> (sending
    /// <c>secret_shares</c> is a 400), answers with recovery keys, and unseals itself (reference §12).</summary>
    public string SealType { get; init; } = "shamir";

    /// <summary>How long, after each unseal, the cluster has no active node (Raft/HA leader election): logical requests answer
    /// 500 "local node not active but active cluster node not found" and <c>sys/health</c> reports a standby, while
    /// <c>sys/seal-status</c> already says unsealed (reference §12). Zero (default): a leader at once.</summary>
    public TimeSpan LeaderElectionDelay { get; set; }
}
