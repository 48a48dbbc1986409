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
}
