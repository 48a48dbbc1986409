using Lyndrix.Sdk;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Plugins.Ldap;

/// <summary>The first-party LDAP module (<c>lyndrix.core.ldap</c>): registers the <c>ldap</c> login provider. It takes part
/// in logins only when <c>ldap</c> is listed in LYNDRIX_AUTH_PROVIDERS.</summary>
public sealed class LdapModule : ILyndrixModule
{
    internal LdapAuthProvider? Provider { get; private set; }

    /// <inheritdoc />
    public async Task SetupAsync(IModuleContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var values = new Dictionary<string, string?>(context.Settings, StringComparer.Ordinal);
        if (string.IsNullOrEmpty(values.GetValueOrDefault("bind_password")) && !string.IsNullOrEmpty(values.GetValueOrDefault("url")))
        {
            try
            {
                values["bind_password"] = await context.GetSecretAsync("bind_password", cancellationToken).ConfigureAwait(false);
            }
            catch (SecretStoreUnavailableException ex)
            {
                context.Logger.LogWarning("LDAP: the bind password could not be read from the secret store ({Reason}); LDAP stays off", ex.Message);
            }
        }

        var settings = LdapSettings.Parse(values);
        foreach (var problem in settings.Problems)
        {
            context.Logger.LogError("LDAP is not usable: {Problem}", problem);
        }

        if (settings.Problems.Count == 0 && settings.Missing.Count > 0 && settings.Missing.Count < 4)
        {
            context.Logger.LogWarning("LDAP is not configured: set {Missing} (the bind password may also be stored in the secret store, " +
                                      "core/lyndrix.core.ldap field bind_password)", string.Join(", ", settings.Missing));
        }

        if (settings is { IsComplete: true, StartTls: false, Url.Scheme: "ldap" } && !settings.Url.IsLoopback)
        {
            context.Logger.LogWarning("LDAP: {Url} is not encrypted, so passwords cross the network in clear text. Use ldaps:// or LYNDRIX_LDAP_START_TLS=true",
                settings.Url);
        }

        if (!settings.TlsVerify && !OperatingSystem.IsWindows())
        {
            context.Logger.LogWarning("LDAP: LYNDRIX_LDAP_TLS_VERIFY=false cannot switch off certificate checks on this platform, so they stay on. " +
                                      "Trust the server's CA with LYNDRIX_LDAP_CA_CERT_DIR instead");
        }

        Provider = new LdapAuthProvider(settings, context.Logger);
        context.RegisterAuthProvider(Provider);
    }
}
