using System.Text;
using System.Text.RegularExpressions;
using Lyndrix.Core.Hosting;

namespace Lyndrix.Core.Data;

/// <summary>
/// The one redactor every database log line, maintenance message and exception description goes through.
/// It removes credentials in URL form (<c>scheme://user:pass@</c>), connection-string form (<c>Password=...</c>,
/// <c>Pwd=...</c>, quoted or not), and every literal password value it has been told about (the configured one and
/// any read from the secret store), including its URL-encoded spelling, wherever they appear.
/// </summary>
internal sealed partial class DatabaseCredentialRedactor
{
    public const string Mask = KnownSecretValues.Mask;

    private readonly KnownSecretValues _secrets = new(minimumLength: 1);

    /// <summary>Remembers a password so its literal value is masked from now on.</summary>
    public void AddSecret(string? secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return;
        }

        _secrets.Add(secret);
        _secrets.Add(Uri.EscapeDataString(secret));
    }

    public string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }

        // Literal values first: the patterns below could otherwise cut a password in two and leave half of it.
        text = _secrets.MaskIn(text);
        text = UrlCredentials().Replace(text, "://" + Mask + ":" + Mask + "@");
        text = ConnectionStringPassword().Replace(text, m => m.Groups["key"].Value + "=" + Mask);
        text = JsonPassword().Replace(text, m => m.Groups["key"].Value + "\"" + Mask + "\"");
        return text;
    }

    /// <summary>An exception's type, database error code and redacted message, with its inner exceptions; no stack trace.</summary>
    public string Describe(Exception exception)
    {
        var sb = new StringBuilder();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (sb.Length > 0)
            {
                sb.Append(" ---> ");
            }

            sb.Append(e.GetType().Name);
            var code = DatabaseErrorCodes.Describe(e);
            if (code is not null)
            {
                sb.Append(" (").Append(code).Append(')');
            }

            sb.Append(": ").Append(Redact(e.Message));
        }

        return sb.ToString();
    }

    // scheme://user:password@ — the password may itself contain ':' or '@', so take everything up to the last '@'
    // before whitespace; masking too much is harmless, too little is not.
    [GeneratedRegex(@"://[^\s/:@]*:\S*@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlCredentials();

    // Password=..., Pwd=..., with optional spaces and quotes ("" or '' escape a quote inside), up to ';' or the end.
    [GeneratedRegex("""(?<key>\b(?:[a-z_]*password|pwd)\s*)=\s*(?:"(?:[^"]|"")*"?|'(?:[^']|'')*'?|[^;\r\n]*)""",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ConnectionStringPassword();

    // "password": "..." / "db_password": "..." in JSON-shaped text.
    [GeneratedRegex("""(?<key>"(?:[a-z_]*password|pwd)"\s*:\s*)"(?:[^"\\]|\\.)*"?""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex JsonPassword();
}
