using System.Globalization;

namespace Lyndrix.Plugins.Oidc;

/// <summary>The OIDC provider's settings, read from the module's settings (the host maps <c>LYNDRIX_OIDC_&lt;X&gt;</c> to key
/// <c>&lt;x&gt;</c>).</summary>
internal sealed record OidcSettings
{
    public Uri? Issuer { get; init; }
    public string? ClientId { get; init; }
    public string? ClientSecret { get; init; }
    public Uri? RedirectUri { get; init; }
    public string Scopes { get; init; } = "openid profile email";
    public string RoleClaim { get; init; } = "groups";
    public IReadOnlyList<string> AdminGroups { get; init; } = [];
    public string DisplayName { get; init; } = "SSO";
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
    public IReadOnlyList<string> Problems { get; init; } = [];

    public IReadOnlyList<string> Missing =>
        new (string Name, bool Set)[]
        {
            ("LYNDRIX_OIDC_ISSUER", Issuer is not null), ("LYNDRIX_OIDC_CLIENT_ID", !string.IsNullOrEmpty(ClientId)),
            ("LYNDRIX_OIDC_REDIRECT_URI", RedirectUri is not null),
        }.Where(x => !x.Set).Select(x => x.Name).ToArray();

    public bool IsComplete => Missing.Count == 0 && Problems.Count == 0;

    public static OidcSettings Parse(IReadOnlyDictionary<string, string?> values)
    {
        var problems = new List<string>();
        string? Get(string key) => values.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        Uri? Url(string key, string example)
        {
            if (Get(key) is not { } raw)
            {
                return null;
            }

            // Plain http only for loopback (development and tests): tokens and codes must not cross a network unencrypted.
            if (Uri.TryCreate(raw, UriKind.Absolute, out var uri) && (uri.Scheme == "https" || (uri.Scheme == "http" && uri.IsLoopback)))
            {
                return uri;
            }

            problems.Add($"LYNDRIX_OIDC_{key.ToUpperInvariant()} must be an https URL such as {example} (got '{raw}')");
            return null;
        }

        var scopes = Get("scopes") ?? "openid profile email";
        if (!scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("openid"))
        {
            problems.Add($"LYNDRIX_OIDC_SCOPES must include 'openid' (got '{scopes}')");
        }

        var timeout = TimeSpan.FromSeconds(10);
        if (Get("timeout") is { } rawTimeout)
        {
            if (double.TryParse(rawTimeout, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 0.1 and <= 300)
            {
                timeout = TimeSpan.FromSeconds(seconds);
            }
            else
            {
                problems.Add($"LYNDRIX_OIDC_TIMEOUT must be a number of seconds from 0.1 to 300 (got '{rawTimeout}')");
            }
        }

        return new OidcSettings
        {
            Issuer = Url("issuer", "https://login.example.org/realms/main"),
            ClientId = Get("client_id"),
            ClientSecret = values.TryGetValue("client_secret", out var secret) && !string.IsNullOrEmpty(secret) ? secret : null,
            RedirectUri = Url("redirect_uri", "https://lyndrix.example.org/auth/callback/oidc"),
            Scopes = scopes,
            RoleClaim = Get("role_claim") ?? "groups",
            AdminGroups = (Get("admin_groups") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            DisplayName = Get("display_name") ?? "SSO",
            Timeout = timeout,
            Problems = problems,
        };
    }
}
