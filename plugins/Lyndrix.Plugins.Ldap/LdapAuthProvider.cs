using System.DirectoryServices.Protocols;
using System.Net;
using Lyndrix.Sdk.Auth;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Plugins.Ldap;

/// <summary>
/// The <c>ldap</c> provider: binds as the service account, searches the base DN with the configured filter (user name
/// escaped per RFC 4515), requires exactly one entry, then binds as that entry with the typed password. Empty passwords
/// are refused before any bind, because LDAP treats a simple bind with an empty password as an anonymous bind that
/// "succeeds". Groups from <c>memberOf</c> (or the configured attribute) map to roles.
/// </summary>
internal sealed class LdapAuthProvider(LdapSettings settings, ILogger logger) : IAuthProvider
{
    private const int InvalidCredentials = 49;

    public string ProviderId => "ldap";

    public string DisplayName => "Directory (LDAP)";

    public bool IsConfigured => settings.IsComplete;

    public LdapSettings Settings => settings;

    public Task<AuthResult?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken)
    {
        if (!IsConfigured || password.Length == 0 || username.Length is 0 or > 256 || username.Any(char.IsControl))
        {
            return Task.FromResult<AuthResult?>(null);
        }

        // System.DirectoryServices.Protocols is synchronous; run it off the caller's thread. The chain's timeout bounds the wait.
        return Task.Run(() => Authenticate(username, password, cancellationToken), cancellationToken);
    }

    private AuthResult? Authenticate(string username, string password, CancellationToken cancellationToken)
    {
        using var connection = Connect();
        try
        {
            connection.Bind(new NetworkCredential(settings.BindDn, settings.BindPassword));
        }
        catch (LdapException ex) when (ex.ErrorCode == InvalidCredentials)
        {
            throw new InvalidOperationException(
                "The LDAP server refused the service account (LYNDRIX_LDAP_BIND_DN / LYNDRIX_LDAP_BIND_PASSWORD). Check the DN and its password.");
        }
        catch (LdapException ex)
        {
            throw new InvalidOperationException($"The LDAP server at {settings.Url} could not be used: {ex.Message} (LDAP error {ex.ErrorCode}).");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var attributes = new[] { "uid", "sAMAccountName", "cn", "displayName", "mail", "objectSid", settings.GroupAttribute };
        var request = new SearchRequest(settings.BaseDn, LdapFilter.Build(settings.UserFilter, username), SearchScope.Subtree, attributes)
        {
            SizeLimit = 2,
        };

        SearchResponse response;
        try
        {
            response = (SearchResponse)connection.SendRequest(request, settings.Timeout);
        }
        catch (DirectoryOperationException ex) when (ex.Response?.ResultCode == ResultCode.SizeLimitExceeded)
        {
            logger.LogWarning("LDAP login refused: the user filter matched more than one entry. Make LYNDRIX_LDAP_USER_FILTER unique per user");
            return null;
        }

        if (response.Entries.Count != 1)
        {
            if (response.Entries.Count > 1)
            {
                logger.LogWarning("LDAP login refused: the user filter matched more than one entry. Make LYNDRIX_LDAP_USER_FILTER unique per user");
            }

            return null;
        }

        var entry = response.Entries[0];
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            connection.Bind(new NetworkCredential(entry.DistinguishedName, password));
        }
        catch (LdapException ex) when (ex.ErrorCode == InvalidCredentials)
        {
            return null;
        }
        catch (DirectoryOperationException)
        {
            // e.g. unwillingToPerform for a locked or password-less account: a refusal, not a fault.
            return null;
        }

        return Map(entry, username);
    }

    private LdapConnection Connect()
    {
        var url = settings.Url!;
        var secure = url.Scheme == "ldaps";
        var port = url.IsDefaultPort || url.Port <= 0 ? (secure ? 636 : 389) : url.Port;
        var connection = new LdapConnection(new LdapDirectoryIdentifier(url.Host, port)) { Timeout = settings.Timeout };
        try
        {
            // Both are required on Linux: protocol version 2 is libldap's default and slapd rejects it; Negotiate is unsupported.
            connection.SessionOptions.ProtocolVersion = 3;
            connection.SessionOptions.ReferralChasing = ReferralChasingOptions.None;
            connection.SessionOptions.SecureSocketLayer = secure;
            if (settings.CaCertificateDirectory is { } caDir && !OperatingSystem.IsWindows())
            {
                connection.SessionOptions.TrustedCertificatesDirectory = caDir;
                connection.SessionOptions.StartNewTlsSessionContext();
            }

            if (!settings.TlsVerify && OperatingSystem.IsWindows())
            {
                connection.SessionOptions.VerifyServerCertificate = (_, _) => true;
            }

            if (settings.StartTls)
            {
                // On Linux the connection (and its URI) is only set up by the first operation, and StartTLS before that fails
                // with "server unavailable". An anonymous bind carries no secret and establishes it; its refusal is harmless.
                connection.AuthType = AuthType.Anonymous;
                try
                {
                    connection.Bind();
                }
                catch (DirectoryException)
                {
                }

                try
                {
                    connection.SessionOptions.StartTransportLayerSecurity(null);
                }
                catch (Exception ex) when (ex is DirectoryException or InvalidOperationException)
                {
                    throw new InvalidOperationException(
                        $"StartTLS with the LDAP server at {settings.Url} failed ({ex.Message}). Check that the server offers StartTLS and that its " +
                        "certificate is trusted (LYNDRIX_LDAP_CA_CERT_DIR names a directory with the CA certificate).");
                }
            }

            connection.AuthType = AuthType.Basic;
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private AuthResult Map(SearchResultEntry entry, string typed)
    {
        string? First(string attribute) =>
            entry.Attributes.Contains(attribute) && entry.Attributes[attribute].Count > 0 ? entry.Attributes[attribute][0] as string : null;

        var groups = entry.Attributes.Contains(settings.GroupAttribute)
            ? (string[])entry.Attributes[settings.GroupAttribute].GetValues(typeof(string))
            : [];
        var roles = new List<string>(settings.DefaultRoles);
        foreach (var group in groups)
        {
            if (settings.RoleMapping.TryGetValue(LdapNames.Normalize(group), out var mapped))
            {
                roles.AddRange(mapped);
            }
        }

        string? sid = null;
        if (entry.Attributes.Contains("objectSid") && entry.Attributes["objectSid"].GetValues(typeof(byte[])) is [byte[] raw, ..])
        {
            sid = LdapNames.SidToString(raw);
        }

        var mail = First("mail");
        var username = First("uid") ?? First("sAMAccountName") ?? typed;
        return new AuthResult(username, ProviderId)
        {
            FullName = First("displayName") ?? First("cn") ?? username,
            Email = mail,
            EmailVerified = mail is not null,
            Roles = roles.Distinct(StringComparer.OrdinalIgnoreCase).ToArray(),
            ProviderUserId = sid ?? entry.DistinguishedName,
        };
    }
}
