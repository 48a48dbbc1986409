using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>
/// Removes secrets from any text that may reach a log or an exception message: the values this process knows (tokens, secret
/// IDs, unseal keys) and anything shaped like a Vault token. Server error strings pass through here before we repeat them,
/// because a server or a proxy may echo what it was sent.
/// </summary>
internal sealed partial class VaultSecretRedactor
{
    public const string Mask = "***";

    private readonly ConcurrentDictionary<string, byte> _secrets = new(StringComparer.Ordinal);

    [GeneratedRegex(@"\b(hv[sbr]|s|b|r)\.[A-Za-z0-9_\-]{20,}")]
    private static partial Regex TokenShape();

    public void Add(string? secret)
    {
        // Very short values would mask ordinary words; Vault tokens, secret IDs and key shares are all much longer.
        if (secret is { Length: >= 8 })
        {
            _secrets.TryAdd(secret, 0);
        }
    }

    public string Scrub(string text)
    {
        foreach (var secret in _secrets.Keys.OrderByDescending(s => s.Length))
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }

        return TokenShape().Replace(text, Mask);
    }
}
