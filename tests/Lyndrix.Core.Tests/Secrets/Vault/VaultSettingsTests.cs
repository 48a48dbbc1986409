using Lyndrix.Core.Configuration;
using Lyndrix.Core.Secrets.Vault;
using Lyndrix.Core.Tests.Support;
using Lyndrix.VaultDouble;

namespace Lyndrix.Core.Tests.Secrets.Vault;

public sealed class VaultSettingsTests
{
    private static VaultSettings Load(params (string Name, string Value)[] values) =>
        VaultSettings.Load(EnvironmentConfigSource.FromValues(values.ToDictionary(v => v.Name, v => v.Value)), "/srv/app");

    private static ConfigurationException Fails(params (string Name, string Value)[] values) =>
        Assert.Throws<ConfigurationException>(() => Load(values))!;

    [Test]
    public void Without_VAULT_URL_vault_is_not_configured_and_defaults_apply()
    {
        var s = Load();
        Assert.Multiple(() =>
        {
            Assert.That(s.IsConfigured, Is.False);
            Assert.That(s.Timeout, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(s.MaxRetries, Is.EqualTo(2));
            Assert.That(s.AppRoleMount, Is.EqualTo("approle"));
            Assert.That(s.Mount, Is.EqualTo("lyndrix"));
            Assert.That(s.Namespace, Is.Null);
        });
    }

    [TestCase("https://vault.example.com:8200", "https://vault.example.com:8200/")]
    [TestCase("http://127.0.0.1:8200/", "http://127.0.0.1:8200/")]
    [TestCase("https://proxy.example.com/vault", "https://proxy.example.com/vault/")]
    public void VAULT_URL_is_normalized_to_a_base_address(string raw, string expected) =>
        Assert.That(Load(("VAULT_URL", raw)).Url, Is.EqualTo(new Uri(expected)));

    [TestCase("vault.example.com")]
    [TestCase("ftp://vault.example.com")]
    [TestCase("https://vault.example.com:8200/v1")]
    [TestCase("https://vault.example.com:8200/?x=1")]
    public void A_bad_VAULT_URL_is_named_in_the_error(string raw)
    {
        var e = Fails(("VAULT_URL", raw));
        Assert.That(e.Message, Does.Contain("VAULT_URL").And.Contain(raw));
    }

    [Test]
    public void VAULT_SKIP_VERIFY_is_refused_outside_dev_with_a_message_naming_the_variable()
    {
        var e = Fails(("ENV_TYPE", "prod"), ("VAULT_URL", "https://v:8200"), ("VAULT_SKIP_VERIFY", "true"));
        Assert.That(e.Problems.Single(), Does.StartWith("VAULT_SKIP_VERIFY is refused because ENV_TYPE is 'prod'").And.Contain("VAULT_CACERT"));
        Assert.That(Load(("ENV_TYPE", "dev"), ("VAULT_SKIP_VERIFY", "1")).SkipVerify, Is.True);
        Assert.That(Load(("VAULT_SKIP_VERIFY", "1")).SkipVerify, Is.True, "ENV_TYPE defaults to dev");
    }

    [Test]
    public void VAULT_CACERT_must_be_a_readable_pem_file()
    {
        var dir = TestSettings.TempDirectory();
        var notPem = Path.Combine(dir, "ca.txt");
        File.WriteAllText(notPem, "hello");
        using var ca = new TestCertificateAuthority();
        var pem = Path.Combine(dir, "ca.pem");
        File.WriteAllText(pem, ca.CertificatePem);

        Assert.That(Fails(("VAULT_CACERT", Path.Combine(dir, "missing.pem"))).Message, Does.Contain("VAULT_CACERT").And.Contain("does not exist"));
        Assert.That(Fails(("VAULT_CACERT", notPem)).Message, Does.Contain("VAULT_CACERT").And.Contain("no PEM certificate"));
        Assert.That(Load(("VAULT_CACERT", pem)).CaCertFile, Is.EqualTo(pem));
    }

    [Test]
    public void A_secret_id_without_a_role_id_is_refused()
    {
        Assert.That(Fails(("VAULT_SECRET_ID", "s3cr3t-value")).Problems.Single(), Does.StartWith("VAULT_ROLE_ID is required when VAULT_SECRET_ID is set"));
        var s = Load(("VAULT_ROLE_ID", "role"), ("VAULT_SECRET_ID", "s3cr3t-value"), ("VAULT_APPROLE_MOUNT", "/team/approle/"));
        Assert.That((s.HasAppRole, s.AppRoleMount), Is.EqualTo((true, "team/approle")));
        Assert.That(Fails(("VAULT_APPROLE_MOUNT", "bad mount!")).Message, Does.Contain("VAULT_APPROLE_MOUNT"));
    }

    [Test]
    public void Namespace_timeout_and_retries_are_read_and_checked()
    {
        var s = Load(("VAULT_NAMESPACE", " team/ "), ("VAULT_TIMEOUT", "2.5"), ("VAULT_MAX_RETRIES", "0"), ("VAULT_RETRY_WAIT", "0.2"));
        Assert.That((s.Namespace, s.Timeout, s.MaxRetries, s.RetryWait),
            Is.EqualTo(("team/", TimeSpan.FromSeconds(2.5), 0, TimeSpan.FromMilliseconds(200))));
        Assert.That(Load(("VAULT_NAMESPACE", "  ")).Namespace, Is.Null);
        var e = Fails(("VAULT_TIMEOUT", "soon"), ("VAULT_MAX_RETRIES", "99"));
        Assert.That(e.Problems, Has.Count.EqualTo(2));
        Assert.That(e.Message, Does.Contain("VAULT_TIMEOUT").And.Contain("VAULT_MAX_RETRIES"));
    }

    [Test]
    public void ToString_never_shows_the_token_or_secret_id()
    {
        var s = Load(("VAULT_URL", "https://v:8200"), ("VAULT_TOKEN", "hvs.VerySecretTokenValue123"), ("VAULT_ROLE_ID", "r"), ("VAULT_SECRET_ID", "secret-id-value"));
        Assert.That(s.ToString(), Does.Not.Contain("VerySecretTokenValue").And.Not.Contain("secret-id-value"));
    }
}
