namespace Lyndrix.Sdk.Auth;

/// <summary>The identity a provider vouches for after a successful login.</summary>
/// <param name="Username">The user name in Lyndrix.</param>
/// <param name="Provider">The id of the provider that authenticated the user.</param>
public sealed record AuthResult(string Username, string Provider)
{
    /// <summary>A display name.</summary>
    public string? FullName { get; init; }

    /// <summary>An e-mail address.</summary>
    public string? Email { get; init; }

    /// <summary>Whether the provider vouches for <see cref="Email"/>.</summary>
    public bool EmailVerified { get; init; }

    /// <summary>Roles granted by the provider.</summary>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>The provider's stable id for the user (LDAP DN, OIDC <c>sub</c>).</summary>
    public string? ProviderUserId { get; init; }
}
