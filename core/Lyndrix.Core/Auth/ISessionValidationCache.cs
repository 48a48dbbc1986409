namespace Lyndrix.Core.Auth;

/// <summary>
/// Where <see cref="SessionService"/> remembers sessions it has validated, so an authenticated request does not cost two
/// database reads. An implementation may serve an entry for at most one second after it was validated: that bounds how
/// long a session revoked elsewhere (another host, the database) keeps working. <see cref="ForgetUser"/> must take effect
/// at once on this host.
/// </summary>
internal interface ISessionValidationCache
{
    bool TryGet(string tokenHash, out SessionPrincipal principal);

    void Set(string tokenHash, SessionPrincipal principal);

    /// <summary>Drops every cached session of <paramref name="username"/> (after a revocation or a password change).</summary>
    void ForgetUser(string username);
}
