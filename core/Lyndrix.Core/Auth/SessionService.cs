using Lyndrix.Core.Data;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Auth;

/// <summary>Issues, checks, lists and revokes bearer sessions. Sessions expire after LYNDRIX_SESSION_TTL and can be
/// revoked; an expired, revoked or orphaned session is refused. Validations are cached for one second
/// (<see cref="SessionValidationCache"/>); a revocation through this service takes effect at once.</summary>
internal sealed class SessionService(ISessionStore sessions, IUserStore users, AuthSettings settings, TimeProvider time,
    ISessionValidationCache cache, ILogger<SessionService> logger)
{
    /// <summary>Last-used times are written at most this often per session, not on every request.</summary>
    private static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);

    public async Task<(string Token, SessionRecord Session)> IssueAsync(UserRecord user, string label, CancellationToken cancellationToken)
    {
        var token = SessionTokens.New();
        var now = time.GetUtcNow();
        var session = new SessionRecord(SessionTokens.NewId(), user.Username, SessionTokens.Hash(token), label, now,
            now + settings.SessionTtl, null, null);
        await sessions.CreateAsync(session, cancellationToken).ConfigureAwait(false);
        return (token, session);
    }

    public async Task<SessionPrincipal?> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (!SessionTokens.LooksValid(token))
        {
            return null;
        }

        var hash = SessionTokens.Hash(token);
        if (cache.TryGet(hash, out var cached))
        {
            return cached;
        }

        var session = await sessions.FindByTokenHashAsync(hash, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        if (session is null || session.RevokedAt is not null || session.ExpiresAt <= now)
        {
            return null;
        }

        var user = await users.FindAsync(session.Username, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            return null;
        }

        if (session.LastUsedAt is null || now - session.LastUsedAt.Value >= TouchInterval)
        {
            try
            {
                await sessions.TouchAsync(session.Id, now, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogDebug("Could not record the last use of session {Session}: {Error}", session.Id, ex.GetType().Name);
            }
        }

        var principal = new SessionPrincipal(session, user);
        cache.Set(hash, principal);
        return principal;
    }

    /// <summary>The user's sessions that are neither revoked nor expired, newest first.</summary>
    public async Task<IReadOnlyList<SessionRecord>> ListActiveAsync(string username, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var all = await sessions.ListForUserAsync(username, cancellationToken).ConfigureAwait(false);
        return all.Where(s => s.RevokedAt is null && s.ExpiresAt > now).OrderByDescending(s => s.CreatedAt).ToArray();
    }

    /// <summary>Revokes one of the user's own sessions; false when the user has no such active session.</summary>
    public async Task<bool> RevokeOwnAsync(string username, string sessionId, CancellationToken cancellationToken)
    {
        var own = await ListActiveAsync(username, cancellationToken).ConfigureAwait(false);
        var revoked = own.Any(s => s.Id == sessionId) &&
                      await sessions.RevokeAsync(sessionId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        cache.ForgetUser(username);
        return revoked;
    }

    /// <summary>Revokes every active session of the user except <paramref name="keepSessionId"/>; returns how many.</summary>
    public async Task<int> RevokeOthersAsync(string username, string? keepSessionId, CancellationToken cancellationToken)
    {
        var count = 0;
        foreach (var session in await ListActiveAsync(username, cancellationToken).ConfigureAwait(false))
        {
            if (session.Id != keepSessionId && await sessions.RevokeAsync(session.Id, time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
            {
                count++;
            }
        }

        cache.ForgetUser(username);
        return count;
    }
}
