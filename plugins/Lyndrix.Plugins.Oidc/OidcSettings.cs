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

    /// <summary>The scope that makes the provider release <see cref="RoleClaim"/>, when set explicitly.</summary>
    public string? RoleScope { get; init; }

    /// <summary>The token endpoint's client authentication; null picks it from discovery.</summary>
    public OidcClientAuthMethod? ClientAuth { get; init; }
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

    /// <summary>
    /// The scopes of an authorization request: <see cref="Scopes"/>, plus — when admin groups are configured — the role scope:
    /// <c>LYNDRIX_OIDC_ROLE_SCOPE</c> if set, else the role claim's name if the provider lists it in <c>scopes_supported</c>
    /// (providers release a groups claim only for a scope that asks for it, and refuse or ignore scopes they do not know).
    /// </summary>
    public string RequestedScopes(ICollection<string> scopesSupported)
    {
        var scopes = Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        var roleScope = AdminGroups.Count == 0 ? null : RoleScope ?? (scopesSupported.Contains(RoleClaim) ? RoleClaim : null);
        if (roleScope is not null && !scopes.Contains(roleScope))
        {
            scopes.Add(roleScope);
        }

        return string.Join(' ', scopes);
    }

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

        var secret = values.TryGetValue("client_secret", out var s) && !string.IsNullOrEmpty(s) ? s : null;
        OidcClientAuthMethod? clientAuth = null;
        if (Get("client_auth") is { } rawAuth)
        {
            clientAuth = OidcClientAuthentication.Parse(rawAuth);
            if (clientAuth is null)
            {
                problems.Add($"LYNDRIX_OIDC_CLIENT_AUTH must be {OidcClientAuthentication.Basic}, {OidcClientAuthentication.Post} or " +
                             $"{OidcClientAuthentication.None} (got '{rawAuth}'); leave it unset to pick from the provider's discovery document");
            }
            else if (clientAuth != OidcClientAuthMethod.None && secret is null)
            {
                problems.Add($"LYNDRIX_OIDC_CLIENT_AUTH={rawAuth} needs a client secret: set LYNDRIX_OIDC_CLIENT_SECRET or store it in the " +
                             "secret store (core/lyndrix.core.oidc, field client_secret)");
            }
        }

        return new OidcSettings
        {
            Issuer = Url("issuer", "https://login.example.org/realms/main"),
            ClientId = Get("client_id"),
            ClientSecret = secret,
            ClientAuth = clientAuth,
            RedirectUri = Url("redirect_uri", "https://lyndrix.example.org/auth/callback/oidc"),
            Scopes = scopes,
            RoleClaim = Get("role_claim") ?? "groups",
            RoleScope = Get("role_scope"),
            AdminGroups = (Get("admin_groups") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            DisplayName = Get("display_name") ?? "SSO",
            Timeout = timeout,
            Problems = problems,
        };
    }
}
