using System.Net;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Hosting;

/// <summary>The host listens where LYNDRIX_BIND says, speaks TLS (with HSTS) with the PEM files it is given, and says at start
/// when it listens beyond loopback in plain HTTP.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class BindAndTlsTests
{
    [Test]
    public async Task Serves_https_with_the_given_certificate_and_sends_hsts()
    {
        using var dir = new TempDirectory();
        var (cert, key) = TestCertificate.WritePem(dir, "lyndrix.test");
        var expected = TestCertificate.Thumbprint(cert);
        await using var host = await AuthHost.StartAsync(
            [("LYNDRIX_TLS_CERT", cert), ("LYNDRIX_TLS_KEY", key), ("LYNDRIX_ALLOWED_HOSTS", "lyndrix.test,127.0.0.1")], waitForIam: false);
        Assert.That(host.Client.BaseAddress!.Scheme, Is.EqualTo("https"));

        byte[]? seen = null;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, c, _, _) =>
            {
                seen = c!.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
                return seen.AsSpan().SequenceEqual(expected);
            },
        };
        using var https = new HttpClient(handler) { BaseAddress = host.Client.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/health");
        request.Headers.Host = "lyndrix.test";
        using var response = await https.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(seen, Is.EqualTo(expected));
        Assert.That(response.Headers.GetValues("Strict-Transport-Security").Single(), Does.Contain("max-age=31536000"));

        // Plain HTTP on the TLS port gets nothing useful.
        using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.Client.BaseAddress.Port}") };
        HttpStatusCode? plainStatus;
        try
        {
            plainStatus = (await plain.GetAsync("/api/health")).StatusCode;
        }
        catch (HttpRequestException)
        {
            plainStatus = null;
        }

        Assert.That(plainStatus, Is.Not.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Binds_an_ipv6_address()
    {
        await using var host = await AuthHost.StartAsync([("LYNDRIX_BIND", "::1")], waitForIam: false);
        Assert.That(host.Client.BaseAddress!.Host, Is.EqualTo("[::1]"));
        Assert.That((await host.Client.GetAsync("/api/health")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var v4 = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.Client.BaseAddress.Port}") };
        Assert.That(async () => await v4.GetAsync("/api/health"), Throws.InstanceOf<HttpRequestException>());
    }

    [Test]
    public async Task A_plaintext_bind_beyond_loopback_says_so_at_start_and_a_loopback_one_does_not()
    {
        (string, string)[] production =
        [
            ("ENV_TYPE", "production"), ("LYNDRIX_ADMIN_PASSWORD", "Pr0duction-Adm1n-Passphrase-XY"),
            ("LYNDRIX_BOT_PASSWORD", "Pr0duction-B0t-Passphrase-XY"),
        ];
        await using (var open = await AuthHost.StartAsync([.. production, ("LYNDRIX_BIND", "0.0.0.0"), ("LYNDRIX_ALLOW_PLAINTEXT", "true")], waitForIam: false))
        {
            Assert.That(open.Logs.AllText, Does.Contain("listens on 0.0.0.0 without TLS").And.Contain("LYNDRIX_ALLOW_PLAINTEXT=true"),
                "an operator reading the start log learns that tokens and keys cross the network in clear unless a TLS proxy is in front");
        }

        await using var loopback = await AuthHost.StartAsync(production, waitForIam: false);
        Assert.That(loopback.Logs.AllText, Does.Not.Contain("without TLS"));
    }
}
