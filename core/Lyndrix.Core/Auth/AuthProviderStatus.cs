namespace Lyndrix.Core.Auth;

/// <summary>One provider as <c>GET /api/auth/providers</c> shows it.</summary>
/// <param name="Position">1-based place in the chain; 0 when not part of it.</param>
/// <param name="State">One of the constants below.</param>
/// <param name="Owner">Who registered it (<c>core</c> or a module id), null when nobody did.</param>
/// <param name="IsSso">Whether it signs in by browser redirect instead of a password.</param>
internal sealed record AuthProviderStatus(string Id, string DisplayName, int Position, bool Listed, string State, string? Owner, bool IsSso)
{
    public const string Active = "active";
    public const string NotConfigured = "not_configured";
    public const string NotRegistered = "not_registered";
    public const string NotListed = "not_listed";

    /// <summary>Whether it is in the chain only because LYNDRIX_AUTH_LOCAL_FALLBACK is on.</summary>
    public bool Fallback { get; init; }
}
