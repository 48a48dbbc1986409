using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>The HTTP handler for Vault: no automatic redirects (the transport follows one itself, keeping the token), and
/// TLS trust from <c>VAULT_CACERT</c> when set, the system store otherwise, nothing at all only with <c>VAULT_SKIP_VERIFY</c> in dev.</summary>
internal static class VaultHttpHandlerFactory
{
    public static SocketsHttpHandler Create(VaultSettings settings)
    {
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = settings.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };

        if (settings.SkipVerify)
        {
            // Only reachable with ENV_TYPE=dev: VaultSettings refuses VAULT_SKIP_VERIFY anywhere else.
#pragma warning disable CA5359
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        else if (settings.CaCertFile is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(settings.CaCertFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => TrustedBy(roots, certificate, chain, errors);
        }

        return handler;
    }

    private static bool TrustedBy(X509Certificate2Collection roots, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        // The CA file replaces the trust store; it does not excuse a certificate issued for another host.
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
