namespace Lyndrix.Core.Secrets.Vault;

/// <summary><c>auth/token/lookup-self</c>, without the token id (we never keep it in a second place).</summary>
internal sealed class VaultTokenInfo
{
    public string Accessor { get; init; } = "";

    public IReadOnlyList<string> Policies { get; init; } = [];

    /// <summary>Seconds left; 0 for tokens that never expire (root).</summary>
    public long Ttl { get; init; }

    public long CreationTtl { get; init; }

    public bool Renewable { get; init; }

    public string? DisplayName { get; init; }

    public string? Path { get; init; }

    public string? Type { get; init; }

    public string? ExpireTime { get; init; }

    public int NumUses { get; init; }

    public bool IsRoot => Policies.Contains("root");
}
