using System.Globalization;
using System.Text.Json;

namespace Lyndrix.Plugins.Ldap;

/// <summary>The LDAP provider's settings, read from the module's settings (the host maps <c>LYNDRIX_LDAP_&lt;X&gt;</c> to key
/// <c>&lt;x&gt;</c>). Problems are collected with the variable name so the operator knows what to fix.</summary>
internal sealed record LdapSettings
{
    public Uri? Url { get; init; }
    public string? BindDn { get; init; }
    public string? BindPassword { get; init; }
    public string? BaseDn { get; init; }
    public string UserFilter { get; init; } = "(uid={username})";
    public string GroupAttribute { get; init; } = "memberOf";
    public IReadOnlyDictionary<string, IReadOnlyList<string>> RoleMapping { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    public IReadOnlyList<string> DefaultRoles { get; init; } = ["user"];
    public bool TlsVerify { get; init; } = true;
    public bool StartTls { get; init; }
    public string? CaCertificateDirectory { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Problems found while reading; a provider with problems is not configured.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>Settings missing for the provider to work at all (not an error: LDAP is simply off).</summary>
    public IReadOnlyList<string> Missing =>
        new (string Name, bool Set)[]
        {
            ("LYNDRIX_LDAP_URL", Url is not null), ("LYNDRIX_LDAP_BIND_DN", !string.IsNullOrEmpty(BindDn)),
            ("LYNDRIX_LDAP_BIND_PASSWORD", !string.IsNullOrEmpty(BindPassword)), ("LYNDRIX_LDAP_BASE_DN", !string.IsNullOrEmpty(BaseDn)),
        }.Where(x => !x.Set).Select(x => x.Name).ToArray();

    public bool IsComplete => Missing.Count == 0 && Problems.Count == 0;

    public static LdapSettings Parse(IReadOnlyDictionary<string, string?> values)
    {
        var problems = new List<string>();
        string? Get(string key) => values.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        Uri? url = null;
        if (Get("url") is { } rawUrl)
        {
            if (Uri.TryCreate(rawUrl, UriKind.Absolute, out var parsed) && parsed.Scheme is "ldap" or "ldaps" && parsed.Host.Length > 0)
            {
                url = parsed;
            }
            else
            {
                problems.Add($"LYNDRIX_LDAP_URL must be ldap://host[:port] or ldaps://host[:port] (got '{rawUrl}')");
            }
        }

        var filter = Get("user_filter") ?? "(uid={username})";
        if (!filter.Contains(LdapFilter.Placeholder, StringComparison.Ordinal) || !filter.StartsWith('(') || !filter.EndsWith(')'))
        {
            problems.Add($"LYNDRIX_LDAP_USER_FILTER must be a parenthesised filter containing {{username}}, e.g. (uid={{username}}) (got '{filter}')");
        }

        var mapping = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        if (Get("role_mapping") is { } rawMapping)
        {
            try
            {
                using var doc = JsonDocument.Parse(rawMapping);
                foreach (var group in doc.RootElement.EnumerateObject())
                {
                    mapping[LdapNames.Normalize(group.Name)] = group.Value.EnumerateArray().Select(r => r.GetString()!).Where(r => r.Length > 0).ToArray();
                }
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException)
            {
                problems.Add("LYNDRIX_LDAP_ROLE_MAPPING must be a JSON object from group DN to a list of roles, e.g. {\"cn=admins,ou=groups,dc=example,dc=org\": [\"admin\"]}");
            }
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
                problems.Add($"LYNDRIX_LDAP_TIMEOUT must be a number of seconds from 0.1 to 300 (got '{rawTimeout}')");
            }
        }

        var startTls = Bool(Get("start_tls"), false, "LYNDRIX_LDAP_START_TLS", problems);
        if (startTls && url?.Scheme == "ldaps")
        {
            problems.Add("LYNDRIX_LDAP_START_TLS applies to ldap:// URLs; ldaps:// is already encrypted. Remove one of them");
        }

        return new LdapSettings
        {
            Url = url,
            BindDn = Get("bind_dn"),
            BindPassword = values.TryGetValue("bind_password", out var pw) && !string.IsNullOrEmpty(pw) ? pw : null,
            BaseDn = Get("base_dn"),
            UserFilter = filter,
            GroupAttribute = Get("group_attr") ?? "memberOf",
            RoleMapping = mapping,
            DefaultRoles = (Get("default_roles") ?? "user").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            TlsVerify = Bool(Get("tls_verify"), true, "LYNDRIX_LDAP_TLS_VERIFY", problems),
            StartTls = startTls,
            CaCertificateDirectory = Get("ca_cert_dir"),
            Timeout = timeout,
            Problems = problems,
        };
    }

    private static bool Bool(string? raw, bool fallback, string name, List<string> problems)
    {
        switch (raw?.ToLowerInvariant())
        {
            case null: return fallback;
            case "1" or "true" or "yes" or "on": return true;
            case "0" or "false" or "no" or "off": return false;
            default:
                problems.Add($"{name} must be true or false (got '{raw}')");
                return fallback;
        }
    }
}
