using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Lyndrix.Core.Tests.Support;

/// <summary>A self-signed certificate made by the test, written as PEM files (certificate and unencrypted PKCS#8 key).</summary>
internal static class TestCertificate
{
    public static (string CertPath, string KeyPath) WritePem(TempDirectory dir, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        san.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = dir.File(name + ".crt.pem");
        var keyPath = dir.File(name + ".key.pem");
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }

    public static byte[] Thumbprint(string certPath)
    {
        using var cert = X509Certificate2.CreateFromPem(File.ReadAllText(certPath));
        return cert.GetCertHash(HashAlgorithmName.SHA256);
    }
}
