using Lyndrix.Sdk;

namespace Lyndrix.Core.Auth;

/// <summary>
/// Adds host-side values to a module's <see cref="IModuleContext.Settings"/>. The plugin runtime applies every registered
/// overlay when it builds a module context; IAM uses it to hand the first-party LDAP and OIDC modules their
/// <c>LYNDRIX_LDAP_*</c> / <c>LYNDRIX_OIDC_*</c> values (environment or <c>.env</c>), which a plugin cannot read itself.
/// </summary>
internal interface IModuleSettingsOverlay
{
    IReadOnlyDictionary<string, string?> Apply(ModuleManifest manifest, IReadOnlyDictionary<string, string?> settings);
}
