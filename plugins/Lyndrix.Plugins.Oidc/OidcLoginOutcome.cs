using Lyndrix.Sdk.Auth;

namespace Lyndrix.Plugins.Oidc;

/// <summary>The result of a callback: the identity, or why the sign-in was refused (for the log; never a token).</summary>
internal sealed record OidcLoginOutcome(AuthResult? Identity, string? Refusal)
{
    public static OidcLoginOutcome Refused(string reason) => new(null, reason);
}
