namespace Lyndrix.Core.Auth;

/// <summary>Parses <c>LYNDRIX_AUTH_PROVIDERS</c>: comma-separated ids, trimmed, empties dropped, order kept.</summary>
internal static class AuthProviderList
{
    public static IReadOnlyList<string> Parse(string raw, out IReadOnlyList<string> problems)
    {
        var found = new List<string>();
        var issues = new List<string>();
        foreach (var part in raw.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var id = part.ToLowerInvariant();
            if (!Modules.PluginRules.IsValidProviderId(id))
            {
                issues.Add($"has an invalid provider id '{part}': use lower-case letters, digits, '-' or '_'");
            }
            else if (found.Contains(id))
            {
                issues.Add($"lists '{id}' twice; list each provider once, in the order to try them");
            }
            else
            {
                found.Add(id);
            }
        }

        if (found.Count == 0 && issues.Count == 0)
        {
            issues.Add("is empty; list at least one provider, e.g. 'local' or 'ldap,local'");
        }

        problems = issues;
        return found;
    }
}
