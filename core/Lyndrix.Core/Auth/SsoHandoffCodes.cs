using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Lyndrix.Core.Auth;

/// <summary>
/// One-time codes that carry a finished single sign-on from the callback to the client: the callback redirects with
/// <c>?code=</c> and the client exchanges it once for a bearer token through <c>POST /api/auth/token-exchange</c>, so no
/// token ever appears in a URL. Codes expire after a minute; expired ones are swept on each use, so the map stays small.
/// </summary>
internal sealed class SsoHandoffCodes(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, (string Username, string Provider, DateTimeOffset Expires)> _codes = new(StringComparer.Ordinal);

    public string Issue(string username, string provider)
    {
        Sweep();
        var code = SessionTokens.Base64Url(RandomNumberGenerator.GetBytes(32));
        _codes[SessionTokens.Hash(code)] = (username, provider, time.GetUtcNow() + Lifetime);
        return code;
    }

    public bool TryRedeem(string code, out string username, out string provider)
    {
        Sweep();
        if (_codes.TryRemove(SessionTokens.Hash(code), out var entry) && entry.Expires > time.GetUtcNow())
        {
            (username, provider) = (entry.Username, entry.Provider);
            return true;
        }

        username = provider = "";
        return false;
    }

    private void Sweep()
    {
        var now = time.GetUtcNow();
        foreach (var (key, value) in _codes)
        {
            if (value.Expires <= now)
            {
                _codes.TryRemove(key, out _);
            }
        }
    }
}
