namespace Lyndrix.Core.Secrets.Vault;

/// <summary>The <c>auth</c> block of a login or <c>renew-self</c>. Holds the token; <see cref="ToString"/> does not print it.</summary>
internal sealed class VaultAuthLease
{
    public string ClientToken { get; init; } = "";

    public string Accessor { get; init; } = "";

    public IReadOnlyList<string> Policies { get; init; } = [];

    public IReadOnlyList<string> TokenPolicies { get; init; } = [];

    /// <summary>Seconds the token lives; 0 for tokens without a lease.</summary>
    public long LeaseDuration { get; init; }

    public bool Renewable { get; init; }

    public string? TokenType { get; init; }

    public int NumUses { get; init; }

    /// <summary>Warnings of the response (a renewal capped at the max TTL says so here).</summary>
    public IReadOnlyList<string> Warnings { get; set; } = [];

    public override string ToString() => $"VaultAuthLease(token=***, policies=[{string.Join(",", Policies)}], lease={LeaseDuration}s, renewable={Renewable})";
}
