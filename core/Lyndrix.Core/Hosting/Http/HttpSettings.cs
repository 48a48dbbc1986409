using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Hosting.Http;

/// <summary>
/// Where and how the HTTP API listens, and whom it believes: bind addresses, TLS, the public URL, the host names it answers
/// to and the proxies whose forwarded headers it honours. The host and the CLI read these from the same settings, so the CLI
/// talks to the address the host listens on.
/// </summary>
internal sealed record HttpSettings
{
    /// <summary>Request bodies are refused above this before anything parses them.</summary>
    public const long MaxBodyBytes = 64 * 1024;

    public required IReadOnlyList<IPAddress> Bind { get; init; }
    public required int Port { get; init; }
    public required Uri? PublicUrl { get; init; }
    public required IReadOnlyList<string> AllowedHosts { get; init; }
    public required IReadOnlyList<IPNetwork> TrustedProxies { get; init; }
    public required string? TlsCertPath { get; init; }
    public required string? TlsKeyPath { get; init; }
    public required bool AllowPlaintext { get; init; }

    public bool UsesTls => TlsCertPath is not null;

    /// <summary>True when every bind address is a loopback address (the default, <c>127.0.0.1</c>).</summary>
    public bool LoopbackOnly => Bind.All(IPAddress.IsLoopback);

    public string Scheme => UsesTls ? "https" : "http";

    public static HttpSettings Load(IConfigSource source, string baseDirectory)
    {
        var r = new SettingsReader(source, baseDirectory);
        var settings = Read(r);
        r.ThrowIfInvalid();
        return settings;
    }

    public static HttpSettings Read(SettingsReader r)
    {
        var isDev = HostSettings.IsDevEnvType(HostSettings.ReadEnvType(r));
        var bind = ReadBind(r);
        var publicUrl = ReadPublicUrl(r);
        var cert = r.String("LYNDRIX_TLS_CERT") is { Length: > 0 } c ? r.Path("LYNDRIX_TLS_CERT", c) : null;
        var key = r.String("LYNDRIX_TLS_KEY") is { Length: > 0 } k ? r.Path("LYNDRIX_TLS_KEY", k) : null;
        var settings = new HttpSettings
        {
            Bind = bind,
            Port = r.Int("PORT", 8081, 0, 65535),
            PublicUrl = publicUrl,
            AllowedHosts = ReadAllowedHosts(r, bind, publicUrl),
            TrustedProxies = ReadTrustedProxies(r),
            TlsCertPath = cert,
            TlsKeyPath = key,
            AllowPlaintext = r.Bool("LYNDRIX_ALLOW_PLAINTEXT", false),
        };

        if ((cert is null) != (key is null))
        {
            r.Problem(cert is null ? "LYNDRIX_TLS_CERT" : "LYNDRIX_TLS_KEY",
                "must be set together with " + (cert is null ? "LYNDRIX_TLS_KEY" : "LYNDRIX_TLS_CERT") + " (PEM certificate chain and its private key)");
        }
        else if (cert is not null && LoadCertificateProblem(cert, key!) is { } problem)
        {
            r.Problem("LYNDRIX_TLS_CERT", problem);
        }

        if (!isDev && !settings.LoopbackOnly && !settings.UsesTls && !settings.AllowPlaintext)
        {
            r.Problem("LYNDRIX_BIND", $"is '{string.Join(',', bind)}', reachable from other machines, but the API would speak plain HTTP: set LYNDRIX_TLS_CERT " +
                                      "and LYNDRIX_TLS_KEY, or LYNDRIX_ALLOW_PLAINTEXT=true when a TLS proxy in front of the host terminates TLS");
        }

        return settings;
    }

    /// <summary>The certificate and key Kestrel serves; only called after <see cref="Read"/> accepted them.</summary>
    public X509Certificate2 LoadCertificate()
    {
        using var pem = X509Certificate2.CreateFromPemFile(TlsCertPath!, TlsKeyPath);
        // Kestrel on Linux needs the key in an exportable, in-memory form; the PKCS#12 round trip gives that.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    private static string? LoadCertificateProblem(string cert, string key)
    {
        try
        {
            using var loaded = X509Certificate2.CreateFromPemFile(cert, key);
            return loaded.HasPrivateKey ? null : $"'{cert}' has no matching private key in LYNDRIX_TLS_KEY";
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            // The message of a key parser could quote key material; say which files and what kind of failure only.
            return $"and LYNDRIX_TLS_KEY could not be read as a PEM certificate and its private key ('{cert}', '{key}'; {ex.GetType().Name}). " +
                   "Both must be PEM files; the key unencrypted and matching the certificate";
        }
    }

    private static List<IPAddress> ReadBind(SettingsReader r)
    {
        var raw = r.String("LYNDRIX_BIND", "127.0.0.1");
        var addresses = new List<IPAddress>();
        foreach (var part in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPAddress.TryParse(part.Trim('[', ']'), out var address))
            {
                addresses.Add(address);
            }
            else
            {
                r.Problem("LYNDRIX_BIND", $"must be IP addresses separated by commas, such as 127.0.0.1, ::1, 0.0.0.0 or :: (got '{part}')");
            }
        }

        return addresses.Count > 0 ? addresses : [IPAddress.Loopback];
    }

    private static Uri? ReadPublicUrl(SettingsReader r)
    {
        if (r.String("LYNDRIX_PUBLIC_URL") is not { Length: > 0 } raw)
        {
            return null;
        }

        if (Uri.TryCreate(raw, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && uri.UserInfo.Length == 0 &&
            uri.AbsolutePath == "/" && uri.Query.Length == 0 && uri.Fragment.Length == 0)
        {
            return uri;
        }

        r.Problem("LYNDRIX_PUBLIC_URL", $"must be the origin clients use, such as https://lyndrix.example.org (no path, user or query; got '{raw}')");
        return null;
    }

    private static List<string> ReadAllowedHosts(SettingsReader r, IReadOnlyList<IPAddress> bind, Uri? publicUrl)
    {
        if (r.String("LYNDRIX_ALLOWED_HOSTS") is { Length: > 0 } raw)
        {
            var hosts = raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            foreach (var host in hosts.Where(h => h.Contains('/') || h.Contains(' ') || (h.Contains(':') && !h.StartsWith('['))))
            {
                r.Problem("LYNDRIX_ALLOWED_HOSTS", $"must be host names without scheme or port, such as lyndrix.example.org or *.example.org (got '{host}')");
            }

            return hosts;
        }

        List<string> defaults = ["localhost", "127.0.0.1", "[::1]"];
        defaults.AddRange(bind.Where(a => !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any)).Select(HostName));
        if (publicUrl is not null)
        {
            defaults.Add(publicUrl.IdnHost.Contains(':') ? $"[{publicUrl.IdnHost}]" : publicUrl.IdnHost);
        }

        return defaults.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    private static List<IPNetwork> ReadTrustedProxies(SettingsReader r)
    {
        var networks = new List<IPNetwork>();
        foreach (var part in (r.String("LYNDRIX_TRUSTED_PROXIES") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPNetwork.TryParse(part, out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(part, out var address))
            {
                networks.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                r.Problem("LYNDRIX_TRUSTED_PROXIES", $"must be addresses or CIDR ranges separated by commas, such as 10.0.0.5, 10.1.0.0/16 or fd00::/64 (got '{part}')");
            }
        }

        return networks;
    }

    /// <summary>An address as it appears in a Host header (IPv6 in brackets).</summary>
    public static string HostName(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}
