using Lyndrix.Sdk;

namespace Lyndrix.Core.Auth;

/// <summary>The first-party provider modules (<c>plugins/Lyndrix.Plugins.Ldap</c>, <c>plugins/Lyndrix.Plugins.Oidc</c>) and the
/// environment values handed to them. Only CORE modules with exactly these ids receive them.</summary>
internal sealed class FirstPartyAuthModules(AuthSettings settings) : IModuleSettingsOverlay
{
    public const string LdapModuleId = "lyndrix.core.ldap";
    public const string OidcModuleId = "lyndrix.core.oidc";

    public IReadOnlyDictionary<string, string?> Apply(ModuleManifest manifest, IReadOnlyDictionary<string, string?> moduleSettings)
    {
        var values = manifest.Type != ModuleType.Core ? null : manifest.Id switch
        {
            LdapModuleId => settings.Ldap,
            OidcModuleId => settings.Oidc,
            _ => null,
        };
        if (values is null || values.Count == 0)
        {
            return moduleSettings;
        }

        // The environment wins over stored values, as everywhere else in the host.
        var merged = new Dictionary<string, string?>(moduleSettings, StringComparer.Ordinal);
        foreach (var (key, value) in values)
        {
            merged[key] = value;
        }

        return merged;
    }
}
