using Lyndrix.Core.Configuration;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Configuration;

/// <summary>Secret settings from <c>NAME_FILE</c>, and out of the process environment once read.</summary>
[TestFixture]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class HostSecretVariablesTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory("lyndrix-secret-files");

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private string SecretFile(string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite)
    {
        var path = _dir.File(Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [TestCase("LYNDRIX_MASTER_KEY")]
    [TestCase("DB_PASSWORD")]
    [TestCase("VAULT_TOKEN")]
    [TestCase("VAULT_SECRET_ID")]
    [TestCase("LYNDRIX_ADMIN_PASSWORD")]
    [TestCase("LYNDRIX_BOT_PASSWORD")]
    [TestCase("LYNDRIX_LDAP_BIND_PASSWORD")]
    [TestCase("LYNDRIX_OIDC_CLIENT_SECRET")]
    public void Each_secret_can_come_from_an_owner_only_file_with_its_trailing_newline_dropped(string name)
    {
        var source = EnvironmentConfigSource.FromValues(new Dictionary<string, string>
        {
            ["ENV_TYPE"] = "production",
            [name + "_FILE"] = SecretFile("s3cret value with spaces \n"),
        });
        Assert.That(source.Get(name), Is.EqualTo("s3cret value with spaces "));
    }

    [Test]
    public void A_file_readable_by_group_or_others_is_refused_outside_dev_naming_the_setting_and_the_fix()
    {
        var file = SecretFile("pw", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var source = EnvironmentConfigSource.FromValues(new Dictionary<string, string> { ["ENV_TYPE"] = "production", ["DB_PASSWORD_FILE"] = file });
        var ex = Assert.Throws<ConfigurationException>(() => source.Get("DB_PASSWORD"));
        Assert.That(ex!.Message, Does.Contain("DB_PASSWORD_FILE").And.Contain("chmod 600").And.Not.Contain("pw\n"));
        Assert.That(source.Get("PORT"), Is.Null, "other settings still read");
    }

    [Test]
    public void Development_accepts_a_group_readable_file()
    {
        var file = SecretFile("pw", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var source = EnvironmentConfigSource.FromValues(new Dictionary<string, string> { ["DB_PASSWORD_FILE"] = file });
        Assert.That(source.Get("DB_PASSWORD"), Is.EqualTo("pw"));
    }

    [Test]
    public void Setting_both_the_value_and_the_file_is_refused()
    {
        var source = EnvironmentConfigSource.FromValues(new Dictionary<string, string> { ["DB_PASSWORD"] = "a", ["DB_PASSWORD_FILE"] = SecretFile("b") });
        var ex = Assert.Throws<ConfigurationException>(() => source.Get("DB_PASSWORD"));
        Assert.That(ex!.Message, Does.Contain("DB_PASSWORD and DB_PASSWORD_FILE are both set"));
    }

    [Test]
    public void A_missing_file_is_refused_with_its_path()
    {
        var missing = _dir.File("nope");
        var source = EnvironmentConfigSource.FromValues(new Dictionary<string, string> { ["LYNDRIX_MASTER_KEY_FILE"] = missing });
        var ex = Assert.Throws<ConfigurationException>(() => source.Get("LYNDRIX_MASTER_KEY"));
        Assert.That(ex!.Message, Does.Contain(missing).And.Contain("cannot be read"));
    }

    [Test]
    public void Reading_the_process_configuration_removes_every_secret_from_the_environment_and_keeps_its_value()
    {
        var value = "Leak-" + Guid.NewGuid().ToString("N");
        var file = SecretFile(value + "-from-file");
        Environment.SetEnvironmentVariable("LYNDRIX_BOT_PASSWORD", value);
        Environment.SetEnvironmentVariable("DB_PASSWORD_FILE", file);
        Environment.SetEnvironmentVariable("LYNDRIX_ENV_FILE", _dir.File("no.env"));
        try
        {
            var source = EnvironmentConfigSource.FromProcess(_dir.Path);
            Assert.Multiple(() =>
            {
                Assert.That(source.Get("LYNDRIX_BOT_PASSWORD"), Is.EqualTo(value));
                Assert.That(source.Get("DB_PASSWORD"), Is.EqualTo(value + "-from-file"));
                Assert.That(Environment.GetEnvironmentVariable("LYNDRIX_BOT_PASSWORD"), Is.Null);
                Assert.That(Environment.GetEnvironmentVariable("DB_PASSWORD_FILE"), Is.Null);
                Assert.That(Environment.GetEnvironmentVariables().Values.Cast<object>().Select(v => v?.ToString()), Has.None.Contain(value));
            });
        }
        finally
        {
            Environment.SetEnvironmentVariable("LYNDRIX_BOT_PASSWORD", null);
            Environment.SetEnvironmentVariable("DB_PASSWORD_FILE", null);
            Environment.SetEnvironmentVariable("LYNDRIX_ENV_FILE", null);
        }
    }
}
