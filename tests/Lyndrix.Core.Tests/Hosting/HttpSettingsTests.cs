using System.Net;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Hosting.Http;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Hosting;

public class HttpSettingsTests
{
    private static HttpSettings Load(params (string Name, string Value)[] values) =>
        HttpSettings.Load(EnvironmentConfigSource.FromValues(values.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal)), Path.GetTempPath());

    private static string Problems(params (string Name, string Value)[] values) =>
        Assert.Throws<ConfigurationException>(() => Load(values))!.Message;

    [Test]
    public void Defaults_listen_on_loopback_only_and_answer_to_loopback_names()
    {
        var settings = Load();
        Assert.That(settings.Bind, Is.EqualTo(new[] { IPAddress.Loopback }));
        Assert.That(settings.LoopbackOnly, Is.True);
        Assert.That(settings.AllowedHosts, Is.EquivalentTo(new[] { "localhost", "127.0.0.1", "[::1]" }));
        Assert.That(settings.TrustedProxies, Is.Empty);
        Assert.That(settings.UsesTls, Is.False);
    }

    [Test]
    public void Bind_takes_any_address_ipv6_included_and_the_public_url_host_is_allowed()
    {
        var settings = Load(("LYNDRIX_BIND", "::1, 10.1.2.3"), ("LYNDRIX_PUBLIC_URL", "https://lyndrix.example.org"), ("LYNDRIX_ALLOW_PLAINTEXT", "true"),
            ("ENV_TYPE", "production"));
        Assert.That(settings.Bind, Is.EqualTo(new[] { IPAddress.IPv6Loopback, IPAddress.Parse("10.1.2.3") }));
        Assert.That(settings.AllowedHosts, Does.Contain("[::1]").And.Contain("10.1.2.3").And.Contain("lyndrix.example.org"));
    }

    [Test]
    public void Outside_dev_a_non_loopback_bind_without_tls_needs_allow_plaintext()
    {
        Assert.That(Problems(("ENV_TYPE", "production"), ("LYNDRIX_BIND", "0.0.0.0")),
            Does.Contain("LYNDRIX_BIND").And.Contain("LYNDRIX_TLS_CERT").And.Contain("LYNDRIX_ALLOW_PLAINTEXT=true"));
        Assert.That(Problems(("ENV_TYPE", "production"), ("LYNDRIX_BIND", "::")), Does.Contain("LYNDRIX_BIND"));
        Assert.That(Load(("ENV_TYPE", "production"), ("LYNDRIX_BIND", "0.0.0.0"), ("LYNDRIX_ALLOW_PLAINTEXT", "true")).LoopbackOnly, Is.False);
        Assert.That(Load(("ENV_TYPE", "production"), ("LYNDRIX_BIND", "127.0.0.2")).LoopbackOnly, Is.True);
    }

    [TestCase("LYNDRIX_BIND", "localhost")]
    [TestCase("LYNDRIX_BIND", "300.1.1.1")]
    [TestCase("LYNDRIX_PUBLIC_URL", "https://lyndrix.example.org/app")]
    [TestCase("LYNDRIX_PUBLIC_URL", "lyndrix.example.org")]
    [TestCase("LYNDRIX_PUBLIC_URL", "https://user@lyndrix.example.org")]
    [TestCase("LYNDRIX_ALLOWED_HOSTS", "https://lyndrix.example.org")]
    [TestCase("LYNDRIX_ALLOWED_HOSTS", "lyndrix.example.org:443")]
    [TestCase("LYNDRIX_TRUSTED_PROXIES", "10.0.0.0/33")]
    [TestCase("LYNDRIX_TRUSTED_PROXIES", "proxy.internal")]
    [TestCase("LYNDRIX_TLS_CERT", "/nonexistent/cert.pem")]
    public void Bad_values_name_the_variable(string name, string value) =>
        Assert.That(Problems((name, value), ("LYNDRIX_TLS_KEY", name == "LYNDRIX_TLS_CERT" ? "/nonexistent/key.pem" : "")), Does.Contain(name));

    [Test]
    public void Trusted_proxies_take_addresses_and_ranges()
    {
        var settings = Load(("LYNDRIX_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16, fd00::/64, ::1"));
        Assert.That(settings.TrustedProxies.Select(n => n.ToString()), Is.EqualTo(new[] { "10.0.0.5/32", "10.1.0.0/16", "fd00::/64", "::1/128" }));
    }

    [Test]
    public void Tls_needs_both_files_and_a_key_that_matches_the_certificate()
    {
        using var dir = new TempDirectory();
        var (cert, key) = TestCertificate.WritePem(dir, "lyndrix.test");
        var (_, otherKey) = TestCertificate.WritePem(dir, "other.test");
        Assert.That(Problems(("LYNDRIX_TLS_CERT", cert)), Does.Contain("LYNDRIX_TLS_KEY"));
        var mismatch = Problems(("LYNDRIX_TLS_CERT", cert), ("LYNDRIX_TLS_KEY", otherKey));
        Assert.That(mismatch, Does.Contain("LYNDRIX_TLS_CERT").And.Not.Contain("PRIVATE KEY"));
        Assert.That(Load(("LYNDRIX_TLS_CERT", cert), ("LYNDRIX_TLS_KEY", key)).UsesTls, Is.True);
    }
}
