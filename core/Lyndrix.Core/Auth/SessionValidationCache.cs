using System.Collections.Concurrent;

namespace Lyndrix.Core.Auth;

/// <summary>
/// Remembers validated sessions for at most <see cref="MaxAge"/>, so an authenticated request does not cost two database
/// reads. A session revoked on this host is dropped at once; one revoked on another host (or an account removed) stops
/// working within <see cref="MaxAge"/>. Bounded: the table is emptied when it grows past <see cref="MaxEntries"/>.
/// </summary>
internal sealed class SessionValidationCache(TimeProvider time) : ISessionValidationCache
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    public const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, (SessionPrincipal Principal, DateTimeOffset At)> _entries = new(StringComparer.Ordinal);

    public bool TryGet(string tokenHash, out SessionPrincipal principal)
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(tokenHash, out var entry) && now - entry.At < MaxAge && entry.Principal.Session.ExpiresAt > now)
        {
            principal = entry.Principal;
            return true;
        }

        principal = null!;
        return false;
    }

    public void Set(string tokenHash, SessionPrincipal principal)
    {
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        _entries[tokenHash] = (principal, time.GetUtcNow());
    }

    public void ForgetUser(string username)
    {
        foreach (var (key, entry) in _entries)
        {
            if (string.Equals(entry.Principal.User.Username, username, StringComparison.Ordinal))
            {
                _entries.TryRemove(key, out _);
            }
        }
    }
}
