using Lyndrix.Core.Configuration;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Configuration;

public sealed class HostSettingsTests
{
    [Test]
    public void Defaults_follow_the_original_names_relative_to_the_working_directory()
    {
        var s = HostSettings.Load(EnvironmentConfigSource.FromValues(new Dictionary<string, string>()), "/srv/app");
        Assert.Multiple(() =>
        {
            Assert.That(s.EnvType, Is.EqualTo("dev"));
            Assert.That(s.Port, Is.EqualTo(8081));
            Assert.That(s.StorageDir, Is.EqualTo("/srv/app/data/storage"));
            Assert.That(s.SecurityDir, Is.EqualTo("/srv/app/data/security"));
            Assert.That(s.PluginsDir, Is.EqualTo("/srv/app/plugins"));
            Assert.That(s.LogsDir, Is.EqualTo("/srv/app/data/logs"));
        });
    }

    [Test]
    public void Every_invalid_variable_is_named_in_one_error()
    {
        var source = EnvironmentConfigSource.FromValues(new Dictionary<string, string>
        {
            ["PORT"] = "eighty",
            ["LOG_LEVEL"] = "LOUD",
            ["LYNDRIX_BOOT_STEP_TIMEOUT"] = "-1",
        });
        var ex = Assert.Throws<ConfigurationException>(() => HostSettings.Load(source, "/srv"));
        Assert.That(ex!.Message, Does.Contain("PORT").And.Contain("eighty").And.Contain("LOG_LEVEL").And.Contain("LYNDRIX_BOOT_STEP_TIMEOUT"));
    }

    [Test]
    public void Environment_wins_over_the_dotenv_file()
    {
        var dotEnv = DotEnvFile.Parse(["# comment", "export PORT=9000", "ENV_TYPE='prod'", "LOG_LEVEL=DEBUG # trailing", "BROKEN LINE"]);
        var source = new EnvironmentConfigSource(new Dictionary<string, string> { ["PORT"] = "9100" }, dotEnv);
        var s = HostSettings.Load(source, "/srv");
        Assert.Multiple(() =>
        {
            Assert.That(s.Port, Is.EqualTo(9100));
            Assert.That(s.EnvType, Is.EqualTo("prod"));
            Assert.That(s.LogLevel, Is.EqualTo("DEBUG"));
        });
    }
}
