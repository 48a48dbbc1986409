using Lyndrix.Core.Auth;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Tests.Auth.Support;

namespace Lyndrix.Core.Tests.Auth;

[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class AuthSettingsTests
{
    [Test]
    public void Defaults_are_the_originals_and_only_local_is_active()
    {
        var s = AuthTestConfig.Settings();
        Assert.Multiple(() =>
        {
            Assert.That(s.AdminUser, Is.EqualTo("admin"));
            Assert.That(s.AdminPassword, Is.EqualTo("lyndrix"));
            Assert.That(s.AdminEmail, Is.EqualTo("admin@lyndrix.local"));
            Assert.That(s.BotUser, Is.EqualTo("bot"));
            Assert.That(s.BotPassword, Is.EqualTo("lyndrix-bot"));
            Assert.That(s.Providers, Is.EqualTo(new[] { "local" }));
            Assert.That(s.ProvidersFromEnvironment, Is.False);
            Assert.That(s.LocalFallback, Is.False);
            Assert.That(s.SessionTtl, Is.EqualTo(TimeSpan.FromHours(12)));
        });
    }

    [Test]
    public void Provider_list_keeps_order_trims_and_lowercases()
    {
        var s = AuthTestConfig.Settings(("LYNDRIX_AUTH_PROVIDERS", " LDAP , oidc,,local "));
        Assert.That(s.Providers, Is.EqualTo(new[] { "ldap", "oidc", "local" }));
        Assert.That(s.ProvidersFromEnvironment, Is.True);
    }

    [TestCase("local,local", "twice")]
    [TestCase("local,ld ap", "invalid provider id")]
    [TestCase(" , ", "is empty")]
    public void Bad_provider_lists_are_refused_naming_the_variable(string value, string expected)
    {
        var ex = Assert.Throws<ConfigurationException>(() => AuthTestConfig.Settings(("LYNDRIX_AUTH_PROVIDERS", value)));
        Assert.That(ex!.Message, Does.Contain("LYNDRIX_AUTH_PROVIDERS").And.Contain(expected));
    }

    [Test]
    public void Production_refuses_every_default_secret_in_one_message()
    {
        var ex = Assert.Throws<ConfigurationException>(() => AuthTestConfig.Settings(
            ("ENV_TYPE", "production"), ("STORAGE_SECRET", "dev_secret_only"), ("DB_PASSWORD", "secret")));
        var offending = ex!.Problems.Where(p => p.Contains("development default")).ToArray();
        Assert.That(offending, Has.Length.EqualTo(1), ex.Message);
        Assert.That(offending[0], Does.Contain("LYNDRIX_ADMIN_PASSWORD").And.Contain("LYNDRIX_BOT_PASSWORD")
            .And.Contain("STORAGE_SECRET").And.Contain("DB_PASSWORD").And.Contain("ENV_TYPE=dev"));
    }

    [Test]
    public void Production_refuses_an_explicit_value_equal_to_the_default()
    {
        var ex = Assert.Throws<ConfigurationException>(() => AuthTestConfig.Settings(
            ("ENV_TYPE", "production"), ("LYNDRIX_ADMIN_PASSWORD", "lyndrix"), ("LYNDRIX_BOT_PASSWORD", "a-strong-second-secret")));
        Assert.That(ex!.Message, Does.Contain("LYNDRIX_ADMIN_PASSWORD"));
        Assert.That(ex.Message, Does.Not.Contain("LYNDRIX_BOT_PASSWORD"));
        Assert.That(ex.Message, Does.Not.Contain("a-strong-second-secret"), "a secret value must never appear in an error");
    }

    [Test]
    public void Production_starts_with_strong_values_and_other_storage_secrets()
    {
        var s = AuthTestConfig.Settings(("ENV_TYPE", "production"), ("LYNDRIX_ADMIN_PASSWORD", "Xq9-first-very-long"),
            ("LYNDRIX_BOT_PASSWORD", "Zr4-second-very-long"), ("STORAGE_SECRET", "something-else"), ("DB_PASSWORD", "not-the-default"));
        Assert.That(s.AdminPassword, Is.EqualTo("Xq9-first-very-long"));
    }

    [Test]
    public void Dev_accepts_the_defaults()
    {
        Assert.DoesNotThrow(() => AuthTestConfig.Settings(("ENV_TYPE", "dev"), ("DB_PASSWORD", "secret")));
    }

    // A careless operator's .env outside dev: each value breaks one rule of the password policy.
    [TestCase("sh0rt!-pw", "password_too_short")]
    [TestCase("Admin-Password-Q7", "password_contains_user_name")]
    [TestCase("Lyndrix-Prod-2026-xK", "password_contains_default")]
    [TestCase("Qwertyuiop123!", "password_too_common")]
    [TestCase("1qaz2wsx3edc4rfv", "password_too_common")]
    public void Production_refuses_weak_bootstrap_passwords_without_echoing_them(string weak, string code)
    {
        var ex = Assert.Throws<ConfigurationException>(() => AuthTestConfig.Settings(
            ("ENV_TYPE", "staging"), ("LYNDRIX_ADMIN_PASSWORD", weak), ("LYNDRIX_BOT_PASSWORD", "long-enough-second")));
        Assert.That(ex!.Problems, Has.One.StartWith($"LYNDRIX_ADMIN_PASSWORD is refused ({code})"), ex.Message);
        Assert.That(ex.Message, Does.Not.Contain("LYNDRIX_BOT_PASSWORD"));
        Assert.That(ex.Message, Does.Not.Contain(weak).IgnoreCase, "a secret value must never appear in an error");
    }

    [Test]
    public void The_bot_password_is_checked_against_the_bot_name()
    {
        var ex = Assert.Throws<ConfigurationException>(() => AuthTestConfig.Settings(("ENV_TYPE", "production"),
            ("LYNDRIX_BOT_USER", "deploy-robot"), ("LYNDRIX_ADMIN_PASSWORD", "long-enough-first"), ("LYNDRIX_BOT_PASSWORD", "DEPLOY-ROBOT-2026")));
        Assert.That(ex!.Problems, Has.One.StartWith("LYNDRIX_BOT_PASSWORD is refused (password_contains_user_name)"), ex.Message);
    }

    [Test]
    public void Dev_keeps_its_published_defaults_and_lets_weak_values_through()
    {
        // ENV_TYPE=dev is the one-command start on a developer's machine; its defaults are documented and refused elsewhere.
        Assert.That(AuthTestConfig.Settings(("LYNDRIX_ADMIN_PASSWORD", "admin")).AdminPassword, Is.EqualTo("admin"));
    }

    [Test]
    public void The_minimum_length_is_configurable_within_bounds()
    {
        Assert.That(AuthTestConfig.Settings().PasswordPolicy.MinimumLength, Is.EqualTo(12));
        Assert.That(AuthTestConfig.Settings(("LYNDRIX_PASSWORD_MIN_LENGTH", "20")).PasswordPolicy.MinimumLength, Is.EqualTo(20));
        var ex = Assert.Throws<ConfigurationException>(() => AuthTestConfig.Settings(
            ("ENV_TYPE", "production"), ("LYNDRIX_PASSWORD_MIN_LENGTH", "20"),
            ("LYNDRIX_ADMIN_PASSWORD", "nineteen-chars-xyz!"), ("LYNDRIX_BOT_PASSWORD", "twenty-chars-long-xy")));
        Assert.That(ex!.Problems, Has.One.StartWith("LYNDRIX_ADMIN_PASSWORD is refused (password_too_short)").And.Contain("20 characters"));
        Assert.That(ex.Message, Does.Not.Contain("LYNDRIX_BOT_PASSWORD"));
    }

    [TestCase("7")]
    [TestCase("0")]
    [TestCase("-12")]
    [TestCase("129")]
    [TestCase("twelve")]
    public void A_minimum_length_outside_8_to_128_is_refused_at_start(string value)
    {
        var ex = Assert.Throws<ConfigurationException>(() => AuthTestConfig.Settings(("LYNDRIX_PASSWORD_MIN_LENGTH", value)));
        Assert.That(ex!.Message, Does.Contain("LYNDRIX_PASSWORD_MIN_LENGTH must be a whole number from 8 to 128"));
    }

    [Test]
    public void Ldap_and_oidc_values_are_collected_and_checked()
    {
        var s = AuthTestConfig.Settings(("LYNDRIX_LDAP_URL", "ldap://127.0.0.1:389"), ("LYNDRIX_LDAP_BIND_DN", "uid=svc"),
            ("LYNDRIX_OIDC_ISSUER", "https://idp.example.org"));
        Assert.That(s.Ldap, Does.ContainKey("url").And.ContainKey("bind_dn"));
        Assert.That(s.Oidc["issuer"], Is.EqualTo("https://idp.example.org"));

        var ex = Assert.Throws<ConfigurationException>(() => AuthTestConfig.Settings(
            ("LYNDRIX_LDAP_URL", "http://x"), ("LYNDRIX_LDAP_ROLE_MAPPING", "{not json"), ("LYNDRIX_LDAP_USER_FILTER", "(uid=x)"),
            ("LYNDRIX_LDAP_START_TLS", "maybe"), ("LYNDRIX_OIDC_SCOPES", "profile email")));
        Assert.That(ex!.Problems, Has.Count.EqualTo(5), ex.Message);
        Assert.That(ex.Message, Does.Contain("LYNDRIX_LDAP_URL").And.Contain("LYNDRIX_LDAP_ROLE_MAPPING").And.Contain("LYNDRIX_LDAP_USER_FILTER")
            .And.Contain("LYNDRIX_LDAP_START_TLS").And.Contain("LYNDRIX_OIDC_SCOPES"));
    }

    [Test]
    public void Admin_and_bot_must_have_valid_distinct_names()
    {
        var ex = Assert.Throws<ConfigurationException>(() => AuthTestConfig.Settings(("LYNDRIX_ADMIN_USER", "ad min"), ("LYNDRIX_BOT_USER", "admin")));
        Assert.That(ex!.Message, Does.Contain("LYNDRIX_ADMIN_USER").And.Contain("LYNDRIX_BOT_USER must differ"));
    }

    [Test]
    public void Overlay_hands_environment_values_only_to_the_first_party_core_modules()
    {
        var overlay = new FirstPartyAuthModules(AuthTestConfig.Settings(("LYNDRIX_LDAP_URL", "ldap://127.0.0.1:389")));
        var stored = new Dictionary<string, string?> { ["url"] = "ldap://stored:389", ["group_attr"] = "memberOf" };
        var core = overlay.Apply(new Sdk.ModuleManifest { Id = "lyndrix.core.ldap", Name = "LDAP", Version = "1.0.0", Type = Sdk.ModuleType.Core }, stored);
        var plugin = overlay.Apply(new Sdk.ModuleManifest { Id = "lyndrix.core.ldap", Name = "LDAP", Version = "1.0.0", Type = Sdk.ModuleType.Plugin }, stored);
        Assert.That(core["url"], Is.EqualTo("ldap://127.0.0.1:389"));
        Assert.That(core["group_attr"], Is.EqualTo("memberOf"));
        Assert.That(plugin["url"], Is.EqualTo("ldap://stored:389"));
    }
}

[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class ProductionRefusalCliTests
{
    [Test]
    public async Task Lyndrix_run_refuses_to_start_in_production_with_one_message_naming_every_default()
    {
        var dir = Directory.CreateTempSubdirectory("lyndrix-cli-auth-").FullName;
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();
            var env = new Dictionary<string, string>
            {
                ["ENV_TYPE"] = "production", ["PORT"] = "0", ["LOGS_DIR"] = dir, ["STORAGE_SECRET"] = "dev_secret_only",
                ["LYNDRIX_ADMIN_PASSWORD"] = "a-strong-operator-secret",
            };
            var context = new Lyndrix.Core.Cli.CliContext(new StringReader(""), output, error, new EnvironmentConfigSource(env), dir);

            var exit = await Lyndrix.Core.Cli.LyndrixCli.RunAsync(["run"], context);

            Assert.That(exit, Is.EqualTo(2));
            var lines = error.ToString().Split('\n').Where(l => l.Contains("development default")).ToArray();
            Assert.That(lines, Has.Length.EqualTo(1), error.ToString());
            Assert.That(lines[0], Does.Contain("LYNDRIX_BOT_PASSWORD, STORAGE_SECRET").And.Not.Contain("LYNDRIX_ADMIN_PASSWORD"));
            Assert.That(error.ToString(), Does.Not.Contain("a-strong-operator-secret"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
