namespace Lyndrix.Sdk.Auth;

/// <summary>
/// A provider that signs users in through a browser redirect (for example OpenID Connect). Password logins skip it;
/// the host drives it through <c>GET /api/auth/sso/{id}/start</c> and the callback <c>GET /auth/callback/{id}</c>.
/// </summary>
public interface ISsoAuthProvider : IAuthProvider
{
    /// <summary>Starts a sign-in: the provider remembers what it needs to check the callback (PKCE verifier, nonce)
    /// under <see cref="SsoChallenge.State"/>, and the host binds that state to the browser that asked.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>Where to send the browser, and the state the callback must carry back.</returns>
    Task<SsoChallenge> BeginAsync(CancellationToken cancellationToken);

    /// <summary>Completes a sign-in from the redirect back to the host. Each state is accepted once.</summary>
    /// <param name="callback">The query of the callback request.</param>
    /// <param name="cancellationToken">Cancels the exchange.</param>
    /// <returns>The identity; <see langword="null"/> when the sign-in is refused (the provider logs why, never a token).</returns>
    Task<AuthResult?> CompleteAsync(SsoCallback callback, CancellationToken cancellationToken);
}
