namespace Lyndrix.VaultDouble;

/// <summary>A service token held by the double's token store.</summary>
internal sealed class VaultToken
{
    public required string Id { get; init; }

    public required string Accessor { get; init; }

    public required IReadOnlyList<string> Policies { get; init; }

    /// <summary>The TTL the token was created with; zero for root tokens, which never expire.</summary>
    public required TimeSpan CreationTtl { get; init; }

    public required DateTimeOffset IssueTime { get; init; }

    /// <summary>Null for tokens without a lease (root).</summary>
    public DateTimeOffset? ExpireTime { get; set; }

    /// <summary>Renewals never push the expiry past <see cref="IssueTime"/> + this.</summary>
    public required TimeSpan MaxTtl { get; init; }

    public TimeSpan ExplicitMaxTtl { get; init; }

    public required bool Renewable { get; init; }

    /// <summary>Remaining uses; zero means unlimited.</summary>
    public int NumUses { get; set; }

    public required string Path { get; init; }

    public required string DisplayName { get; init; }

    public IReadOnlyDictionary<string, string>? Meta { get; init; }

    public string EntityId { get; init; } = "";

    public bool Orphan { get; init; }

    public bool IsRoot => Policies.Contains("root");

    public TimeSpan Ttl(DateTimeOffset now) =>
        ExpireTime is null ? TimeSpan.Zero : ExpireTime.Value - now > TimeSpan.Zero ? ExpireTime.Value - now : TimeSpan.Zero;

    public bool IsExpired(DateTimeOffset now) => ExpireTime is not null && ExpireTime.Value <= now;
}
