using System.Text.Json;
using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Auth;

/// <summary>Settings of the identity and access area: bootstrap accounts, the provider chain, sessions, throttling,
/// and the raw LDAP / OIDC values handed to the first-party provider modules.</summary>
internal sealed record AuthSettings
{
    /// <summary>The module id of the auth area: its secrets live at <c>core/auth</c>, as in the original.</summary>
    public const string ModuleId = "auth";

    public const string DefaultAdminUser = "admin";
    public const string DefaultAdminPassword = "lyndrix";
    public const string DefaultAdminEmail = "admin@lyndrix.local";
    public const string DefaultBotUser = "bot";
    public const string DefaultBotPassword = "lyndrix-bot";

    /// <summary>Environment suffixes (<c>LYNDRIX_LDAP_&lt;X&gt;</c>) handed to the LDAP module as setting <c>&lt;x&gt;</c>.</summary>
    public static readonly IReadOnlyList<string> LdapKeys =
        ["URL", "BIND_DN", "BIND_PASSWORD", "BASE_DN", "USER_FILTER", "GROUP_ATTR", "ROLE_MAPPING", "DEFAULT_ROLES",
         "TLS_VERIFY", "START_TLS", "CA_CERT_DIR", "TIMEOUT"];

    /// <summary>Environment suffixes (<c>LYNDRIX_OIDC_&lt;X&gt;</c>) handed to the OIDC module as setting <c>&lt;x&gt;</c>.</summary>
    public static readonly IReadOnlyList<string> OidcKeys =
        ["ISSUER", "CLIENT_ID", "CLIENT_SECRET", "CLIENT_AUTH", "REDIRECT_URI", "SCOPES", "ROLE_CLAIM", "ROLE_SCOPE", "ADMIN_GROUPS", "DISPLAY_NAME", "TIMEOUT"];

    public required string AdminUser { get; init; }
    public required string AdminPassword { get; init; }
    public required string AdminEmail { get; init; }
    public required string BotUser { get; init; }
    public required string BotPassword { get; init; }

    /// <summary>The ordered provider ids; <c>local</c> unless the environment or the secret store says otherwise.</summary>
    public required IReadOnlyList<string> Providers { get; init; }

    /// <summary>True when <c>LYNDRIX_AUTH_PROVIDERS</c> is set; otherwise the secret store may supply the list.</summary>
    public required bool ProvidersFromEnvironment { get; init; }

    public required bool LocalFallback { get; init; }
    public required TimeSpan SessionTtl { get; init; }
    public required int MaxFailuresPerUser { get; init; }
    public required int MaxFailuresPerClient { get; init; }
    public required TimeSpan ThrottleWindow { get; init; }

    /// <summary>How long a device cookie (<see cref="LoginDeviceCookies"/>) proves a prior login; zero turns them off.</summary>
    public required TimeSpan LoginDeviceLifetime { get; init; }
    public required TimeSpan ProviderTimeout { get; init; }

    /// <summary>What every password set on a local account must satisfy (<see cref="PasswordPolicy.MinLengthVariable"/>).</summary>
    public required PasswordPolicy PasswordPolicy { get; init; }

    /// <summary>Where the browser lands after a single sign-on, with <c>?code=</c> to exchange for a token; the host serves
    /// <see cref="SsoLandingPage"/> there.</summary>
    public required string SsoCompleteUrl { get; init; }

    /// <summary>LDAP values set in the environment, keyed by lower-case setting name (<c>url</c>, <c>bind_dn</c>, ...).</summary>
    public required IReadOnlyDictionary<string, string> Ldap { get; init; }

    /// <summary>OIDC values set in the environment, keyed by lower-case setting name (<c>issuer</c>, <c>client_id</c>, ...).</summary>
    public required IReadOnlyDictionary<string, string> Oidc { get; init; }

    public static AuthSettings Load(IConfigSource source, string baseDirectory)
    {
        var r = new SettingsReader(source, baseDirectory);
        var settings = Read(r);
        r.ThrowIfInvalid();
        return settings;
    }

    public static AuthSettings Read(SettingsReader r)
    {
        var envType = HostSettings.ReadEnvType(r);
        var isDev = HostSettings.IsDevEnvType(envType);

        var adminUser = Username(r, "LYNDRIX_ADMIN_USER", DefaultAdminUser);
        var botUser = Username(r, "LYNDRIX_BOT_USER", DefaultBotUser);
        if (adminUser == botUser)
        {
            r.Problem("LYNDRIX_BOT_USER", $"must differ from LYNDRIX_ADMIN_USER (both are '{adminUser}')");
        }

        var policy = new PasswordPolicy(r.Int(PasswordPolicy.MinLengthVariable, PasswordPolicy.DefaultMinimumLength,
            PasswordPolicy.LowestMinimumLength, PasswordPolicy.HighestMinimumLength));
        var adminPassword = Password(r, "LYNDRIX_ADMIN_PASSWORD", DefaultAdminPassword, adminUser, policy, isDev);
        var botPassword = Password(r, "LYNDRIX_BOT_PASSWORD", DefaultBotPassword, botUser, policy, isDev);

        var rawProviders = r.String("LYNDRIX_AUTH_PROVIDERS");
        IReadOnlyList<string> providers = ["local"];
        if (rawProviders is not null)
        {
            providers = AuthProviderList.Parse(rawProviders, out var problems);
            foreach (var problem in problems)
            {
                r.Problem("LYNDRIX_AUTH_PROVIDERS", problem);
            }
        }

        var settings = new AuthSettings
        {
            AdminUser = adminUser,
            AdminPassword = adminPassword,
            AdminEmail = r.String("LYNDRIX_ADMIN_EMAIL", DefaultAdminEmail),
            BotUser = botUser,
            BotPassword = botPassword,
            Providers = providers,
            ProvidersFromEnvironment = rawProviders is not null,
            LocalFallback = r.Bool("LYNDRIX_AUTH_LOCAL_FALLBACK", false),
            SessionTtl = r.Seconds("LYNDRIX_SESSION_TTL", 12 * 3600, 60, 30 * 86400),
            MaxFailuresPerUser = r.Int("LYNDRIX_LOGIN_MAX_FAILURES_PER_USER", 5, 1, 10_000),
            MaxFailuresPerClient = r.Int("LYNDRIX_LOGIN_MAX_FAILURES_PER_CLIENT", 20, 1, 100_000),
            ThrottleWindow = r.Seconds("LYNDRIX_LOGIN_THROTTLE_WINDOW", 300, 1, 86400),
            LoginDeviceLifetime = TimeSpan.FromDays(r.Int("LYNDRIX_LOGIN_DEVICE_DAYS", 30, 0, 365)),
            ProviderTimeout = r.Seconds("LYNDRIX_AUTH_PROVIDER_TIMEOUT", 15, 0.1, 300),
            PasswordPolicy = policy,
            SsoCompleteUrl = r.String("LYNDRIX_SSO_COMPLETE_URL", "/auth/complete"),
            Ldap = Collect(r, "LYNDRIX_LDAP_", LdapKeys),
            Oidc = Collect(r, "LYNDRIX_OIDC_", OidcKeys),
        };

        ValidateLdap(r, settings.Ldap);
        ValidateOidc(r, settings.Oidc);
        if (SsoLandingUrl.Problem(settings.SsoCompleteUrl) is { } landing)
        {
            r.Problem("LYNDRIX_SSO_COMPLETE_URL", $"{landing} (got '{Hosting.LogValue.Escape(settings.SsoCompleteUrl)}')");
        }

        if (!isDev)
        {
            DefaultSecretsCheck.Apply(r, envType);
        }

        return settings;
    }

    private static string Username(SettingsReader r, string name, string fallback)
    {
        var value = r.String(name, fallback).Trim();
        if (!UserNames.IsValid(value))
        {
            r.Problem(name, $"must be 1-64 letters, digits, '.', '_', '-' or '@' (got '{value}')");
            return fallback;
        }

        return value;
    }

    private static string Password(SettingsReader r, string name, string fallback, string userName, PasswordPolicy policy, bool isDev)
    {
        var value = r.String(name) ?? fallback;
        if (value.Length > PasswordPolicy.MaximumLength)
        {
            r.Problem(name, $"is longer than {PasswordPolicy.MaximumLength} characters");
        }
        // Development keeps its published defaults (one-command start); elsewhere a default is reported by DefaultSecretsCheck
        // with the other defaults, and any other value must pass the policy like a password set through the API.
        else if (!isDev && value != fallback && policy.Check(userName, value) is { } refusal)
        {
            // The value itself is a secret: the message gives the rule it broke, never the value.
            r.Problem(name, $"is refused ({refusal.Code}): {refusal.Detail.TrimEnd('.')}");
        }

        return value;
    }

    private static Dictionary<string, string> Collect(SettingsReader r, string prefix, IReadOnlyList<string> keys)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (r.String(prefix + key) is { } value)
            {
                values[key.ToLowerInvariant()] = value;
            }
        }

        return values;
    }

    private static void ValidateLdap(SettingsReader r, IReadOnlyDictionary<string, string> ldap)
    {
        if (ldap.TryGetValue("url", out var url) &&
            (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("ldap" or "ldaps")))
        {
            r.Problem("LYNDRIX_LDAP_URL", $"must be an ldap:// or ldaps:// URL such as ldaps://ldap.example.org:636 (got '{url}')");
        }

        if (ldap.TryGetValue("user_filter", out var filter) && !filter.Contains("{username}", StringComparison.Ordinal))
        {
            r.Problem("LYNDRIX_LDAP_USER_FILTER", $"must contain the placeholder {{username}}, e.g. (uid={{username}}) (got '{filter}')");
        }

        if (ldap.TryGetValue("role_mapping", out var mapping) && !IsRoleMapping(mapping))
        {
            r.Problem("LYNDRIX_LDAP_ROLE_MAPPING", "must be a JSON object from group DN to a list of roles, e.g. {\"cn=admins,ou=groups,dc=example,dc=org\": [\"admin\"]}");
        }

        foreach (var key in new[] { "tls_verify", "start_tls" })
        {
            if (ldap.TryGetValue(key, out var value) && !SettingsReader.TryParseBool(value, out _))
            {
                r.Problem("LYNDRIX_LDAP_" + key.ToUpperInvariant(), $"must be true or false (got '{value}')");
            }
        }

        // Only checked here; the LDAP module reads the value from its settings.
        _ = r.Seconds("LYNDRIX_LDAP_TIMEOUT", 10, 0.1, 300);
    }

    private static void ValidateOidc(SettingsReader r, IReadOnlyDictionary<string, string> oidc)
    {
        foreach (var (key, example) in new[] { ("issuer", "https://login.example.org/realms/main"), ("redirect_uri", "https://lyndrix.example.org/auth/callback/oidc") })
        {
            if (oidc.TryGetValue(key, out var value) &&
                (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")))
            {
                r.Problem("LYNDRIX_OIDC_" + key.ToUpperInvariant(), $"must be an absolute https URL such as {example} (got '{value}')");
            }
        }

        if (oidc.TryGetValue("scopes", out var scopes) && !scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("openid"))
        {
            r.Problem("LYNDRIX_OIDC_SCOPES", $"must include 'openid' (got '{scopes}')");
        }

        // Only checked here; the OIDC module reads the value from its settings.
        _ = r.Seconds("LYNDRIX_OIDC_TIMEOUT", 10, 0.1, 300);
    }

    private static bool IsRoleMapping(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object &&
                   doc.RootElement.EnumerateObject().All(p =>
                       p.Value.ValueKind == JsonValueKind.Array && p.Value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String));
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
