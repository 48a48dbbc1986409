using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>
/// How to reach and authenticate to HashiCorp Vault. Read from <c>VAULT_URL</c>, <c>VAULT_SKIP_VERIFY</c> (dev only),
/// <c>VAULT_CACERT</c>, <c>VAULT_TOKEN</c>, <c>VAULT_ROLE_ID</c>/<c>VAULT_SECRET_ID</c>/<c>VAULT_APPROLE_MOUNT</c>,
/// <c>VAULT_NAMESPACE</c>, <c>VAULT_TIMEOUT</c>, <c>VAULT_MAX_RETRIES</c> and <c>VAULT_RETRY_WAIT</c>.
/// Deliberately a class, not a record: a generated <c>ToString</c> would print the token.
/// </summary>
internal sealed partial class VaultSettings
{
    /// <summary>Base address of Vault (ending in <c>/</c>, without <c>/v1</c>); null when Vault is not configured.</summary>
    public Uri? Url { get; init; }

    public bool IsConfigured => Url is not null;

    /// <summary>Accept any server certificate. Refused outside <c>ENV_TYPE=dev</c>.</summary>
    public bool SkipVerify { get; init; }

    /// <summary>PEM file with the CA certificate(s) that signed Vault's certificate; replaces the system trust store.</summary>
    public string? CaCertFile { get; init; }

    public string? Token { get; init; }

    public string? RoleId { get; init; }

    public string? SecretId { get; init; }

    /// <summary>Path of the AppRole auth method, without <c>auth/</c> and slashes.</summary>
    public string AppRoleMount { get; init; } = "approle";

    /// <summary>Sent as <c>X-Vault-Namespace</c> only when set (Enterprise/HCP/OpenBao).</summary>
    public string? Namespace { get; init; }

    /// <summary>Per attempt, connect and answer together.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after the first attempt for calls that are safe to repeat.</summary>
    public int MaxRetries { get; init; } = 2;

    /// <summary>First backoff delay; doubles per retry (with jitter) unless the server sends <c>Retry-After</c>.</summary>
    public TimeSpan RetryWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound for one backoff delay, including a server's <c>Retry-After</c>.</summary>
    public TimeSpan MaxRetryWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to keep retrying the KV "Upgrading from non-versioned to versioned data" 400 after a mount is enabled.</summary>
    public TimeSpan KvUpgradeWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The KV v2 mount holding Lyndrix's secrets.</summary>
    public string Mount { get; init; } = "lyndrix";

    public bool HasAppRole => RoleId is not null;

    [GeneratedRegex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")]
    private static partial Regex MountPathPattern();

    public static VaultSettings Load(IConfigSource source, string baseDirectory)
    {
        var reader = new SettingsReader(source, baseDirectory);
        var settings = Read(reader);
        reader.ThrowIfInvalid();
        return settings;
    }

    public static VaultSettings Read(SettingsReader r)
    {
        var envType = HostSettings.ReadEnvType(r);
        var isDev = HostSettings.IsDevEnvType(envType);

        var skipVerify = r.Bool("VAULT_SKIP_VERIFY", false);
        if (skipVerify && !isDev)
        {
            r.Problem("VAULT_SKIP_VERIFY", $"is refused because ENV_TYPE is '{envType}': without TLS verification anyone between Lyndrix and Vault " +
                                           "can read the Vault token. It is allowed only with ENV_TYPE=dev. Set VAULT_CACERT to the CA certificate " +
                                           "(PEM) that signed Vault's certificate instead, and unset VAULT_SKIP_VERIFY");
        }

        var roleId = Trimmed(r.String("VAULT_ROLE_ID"));
        var secretId = Trimmed(r.String("VAULT_SECRET_ID"));
        if (secretId is not null && roleId is null)
        {
            r.Problem("VAULT_ROLE_ID", "is required when VAULT_SECRET_ID is set: AppRole login needs the role ID and the secret ID");
        }

        var appRoleMount = r.String("VAULT_APPROLE_MOUNT", "approle").Trim().Trim('/');
        if (!MountPathPattern().IsMatch(appRoleMount))
        {
            r.Problem("VAULT_APPROLE_MOUNT", $"must be the path the AppRole auth method is enabled at, such as 'approle' (got '{appRoleMount}')");
        }

        return new VaultSettings
        {
            Url = ReadUrl(r),
            SkipVerify = skipVerify,
            CaCertFile = ReadCaFile(r),
            Token = Trimmed(r.String("VAULT_TOKEN")),
            RoleId = roleId,
            SecretId = secretId,
            AppRoleMount = appRoleMount,
            Namespace = Trimmed(r.String("VAULT_NAMESPACE")),
            Timeout = r.Seconds("VAULT_TIMEOUT", 30, 0.1, 600),
            MaxRetries = r.Int("VAULT_MAX_RETRIES", 2, 0, 10),
            RetryWait = r.Seconds("VAULT_RETRY_WAIT", 1, 0, 60),
        };
    }

    private static Uri? ReadUrl(SettingsReader r)
    {
        var raw = Trimmed(r.String("VAULT_URL"));
        if (raw is null)
        {
            return null;
        }

        if (!Uri.TryCreate(raw, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            r.Problem("VAULT_URL", $"must be an absolute http:// or https:// address such as https://vault.example.com:8200 (got '{raw}')");
            return null;
        }

        if (url.Query.Length > 0 || url.Fragment.Length > 0)
        {
            r.Problem("VAULT_URL", $"must be Vault's base address without a query or fragment (got '{raw}')");
            return null;
        }

        var path = url.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/v1", StringComparison.Ordinal))
        {
            r.Problem("VAULT_URL", $"must be Vault's base address without /v1 (got '{raw}'): Lyndrix adds /v1 itself");
            return null;
        }

        return new Uri(url.GetLeftPart(UriPartial.Authority) + path + "/");
    }

    private static string? ReadCaFile(SettingsReader r)
    {
        var raw = Trimmed(r.String("VAULT_CACERT"));
        if (raw is null)
        {
            return null;
        }

        var path = Path.GetFullPath(raw, r.BaseDirectory);
        if (!File.Exists(path))
        {
            r.Problem("VAULT_CACERT", $"points to '{path}', which does not exist: give the PEM file with the CA certificate that signed Vault's certificate");
            return null;
        }

        try
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPemFile(path);
            if (certificates.Count == 0)
            {
                r.Problem("VAULT_CACERT", $"file '{path}' holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)");
                return null;
            }
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            r.Problem("VAULT_CACERT", $"file '{path}' cannot be read as PEM certificates: {e.Message}");
            return null;
        }

        return path;
    }

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    public override string ToString() =>
        $"VaultSettings(url={Url}, token={(Token is null ? "none" : "***")}, approle={(RoleId is null ? "none" : AppRoleMount)}, " +
        $"namespace={Namespace ?? "none"}, skipVerify={SkipVerify}, caCert={CaCertFile ?? "system"})";
}
