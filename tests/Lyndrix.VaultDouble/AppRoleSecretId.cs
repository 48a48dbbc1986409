namespace Lyndrix.VaultDouble;

/// <summary>An issued secret ID with its remaining uses (0 = unlimited) and expiry (null = never).</summary>
internal sealed class AppRoleSecretId
{
    public required string Accessor { get; init; }

    public int RemainingUses { get; set; }

    public DateTimeOffset? ExpireTime { get; init; }
}
