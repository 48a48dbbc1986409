using System.Text.RegularExpressions;
using Lyndrix.Core.Hosting;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>
/// Removes secrets from any text that may reach a log or an exception message: the values this process knows (tokens, secret
/// IDs, unseal keys) and anything shaped like a Vault token. Server error strings pass through here before we repeat them,
/// because a server or a proxy may echo what it was sent.
/// </summary>
internal sealed partial class VaultSecretRedactor
{
    public const string Mask = KnownSecretValues.Mask;

    // Very short values would mask ordinary words; Vault tokens, secret IDs and key shares are all much longer.
    private readonly KnownSecretValues _secrets = new(minimumLength: 8);

    [GeneratedRegex(@"\b(hv[sbr]|s|b|r)\.[A-Za-z0-9_\-]{20,}")]
    private static partial Regex TokenShape();

    public void Add(string? secret) => _secrets.Add(secret);

    public string Scrub(string text) => TokenShape().Replace(_secrets.MaskIn(text), Mask);
}
