using Lyndrix.Core.Configuration;
using Lyndrix.Core.Data;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Data;

public sealed class DatabaseSettingsTests
{
    private TempDirectory _temp = null!;

    private string _dir => _temp.Path;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory("lyndrix-dbsettings");

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private DatabaseSettings Load(params (string Key, string Value)[] values) =>
        DatabaseSettings.Load(EnvironmentConfigSource.FromValues(values.ToDictionary(v => v.Key, v => v.Value)), _dir, Path.Combine(_dir, "storage"));

    private ConfigurationException LoadFails(params (string Key, string Value)[] values) =>
        Assert.Throws<ConfigurationException>(() => Load(values))!;

    [Test]
    public void Without_DB_HOST_the_embedded_SQLite_file_under_STORAGE_DIR_is_used()
    {
        var s = Load();
        Assert.Multiple(() =>
        {
            Assert.That(s.UsesMariaDb, Is.False);
            Assert.That(s.SqlitePath, Is.EqualTo(Path.Combine(_dir, "storage", "lyndrix.db")));
            Assert.That(s.Describe(), Does.StartWith("SQLite "));
        });
    }

    [Test]
    public void A_blank_DB_HOST_also_means_SQLite() => Assert.That(Load(("DB_HOST", "  ")).UsesMariaDb, Is.False);

    [Test]
    public void MariaDB_settings_and_defaults_are_read()
    {
        var s = Load(("DB_HOST", "db.internal"), ("DB_USER", "lyndrix"), ("DB_PASSWORD", "pw"));
        Assert.Multiple(() =>
        {
            Assert.That(s.UsesMariaDb, Is.True);
            Assert.That(s.Host, Is.EqualTo("db.internal"));
            Assert.That(s.Port, Is.EqualTo(3306));
            Assert.That(s.User, Is.EqualTo("lyndrix"));
            Assert.That(s.Password, Is.EqualTo("pw"));
            Assert.That(s.Name, Is.EqualTo("lyndrix_db"));
            Assert.That(s.SslMode, Is.EqualTo(DatabaseSslMode.Preferred));
            Assert.That(s.ConnectTimeout, Is.EqualTo(TimeSpan.FromSeconds(5)));
            Assert.That(s.MaxRetries, Is.EqualTo(10));
            Assert.That(s.WatchdogInterval, Is.EqualTo(TimeSpan.FromSeconds(15)));
        });
    }

    [Test]
    public void Retry_and_watchdog_knobs_are_read()
    {
        var s = Load(("DB_HOST", "h"), ("DB_PORT", "3307"), ("DB_CONNECT_TIMEOUT", "0.5"), ("DB_MAX_RETRIES", "0"), ("DB_RETRY_BASE_DELAY", "0.01"),
            ("DB_RETRY_MAX_DELAY", "0.02"), ("DB_RECOVERY_INTERVAL", "0.1"), ("DB_WATCHDOG_INTERVAL", "0.05"), ("DB_SSL_MODE", "verify-full"));
        Assert.Multiple(() =>
        {
            Assert.That(s.Port, Is.EqualTo(3307));
            Assert.That(s.ConnectTimeout, Is.EqualTo(TimeSpan.FromSeconds(0.5)));
            Assert.That(s.MaxRetries, Is.Zero);
            Assert.That(s.RetryBaseDelay, Is.EqualTo(TimeSpan.FromSeconds(0.01)));
            Assert.That(s.RetryMaxDelay, Is.EqualTo(TimeSpan.FromSeconds(0.02)));
            Assert.That(s.RecoveryInterval, Is.EqualTo(TimeSpan.FromSeconds(0.1)));
            Assert.That(s.WatchdogInterval, Is.EqualTo(TimeSpan.FromSeconds(0.05)));
            Assert.That(s.SslMode, Is.EqualTo(DatabaseSslMode.VerifyFull));
        });
    }

    [Test]
    public void Every_invalid_value_is_reported_by_its_variable_name()
    {
        var ex = LoadFails(("DB_HOST", "h"), ("DB_PORT", "70000"), ("DB_SSL_MODE", "sometimes"), ("DB_MAX_RETRIES", "-1"),
            ("DB_CONNECT_TIMEOUT", "soon"), ("DB_WATCHDOG_INTERVAL", "0"));
        Assert.That(ex.Problems, Has.Count.EqualTo(5));
        Assert.That(ex.Message, Does.Contain("DB_PORT").And.Contain("DB_SSL_MODE").And.Contain("none, preferred, required, verify_ca, verify_full")
            .And.Contain("DB_MAX_RETRIES").And.Contain("DB_CONNECT_TIMEOUT").And.Contain("DB_WATCHDOG_INTERVAL"));
    }

    [Test]
    public void DB_HOST_may_list_the_nodes_of_a_cluster_and_each_becomes_a_server_of_the_connection()
    {
        var s = Load(("DB_HOST", " db1 , 10.0.0.2,::1 "), ("DB_PORT", "3307"));
        var builder = new MySqlConnector.MySqlConnectionStringBuilder(MariaDbConnectionSource.BuildConnectionString(s, "pw"));
        Assert.Multiple(() =>
        {
            Assert.That(s.Hosts, Is.EqualTo(new[] { "db1", "10.0.0.2", "::1" }));
            Assert.That(builder.Server, Is.EqualTo("db1,10.0.0.2,::1"));
            Assert.That(builder.LoadBalance, Is.EqualTo(MySqlConnector.MySqlLoadBalance.RoundRobin));
        });
    }

    [TestCase("db1:3306,db2")]
    [TestCase("db1,,db2")]
    [TestCase("db1,")]
    public void A_node_list_with_a_port_or_an_empty_entry_is_refused_with_the_form_it_takes(string hosts) =>
        Assert.That(LoadFails(("DB_HOST", hosts)).Message, Does.Contain("DB_HOST").And.Contain("comma-separated").And.Contain("DB_PORT"));

    [Test]
    public void A_max_delay_below_the_base_delay_is_refused() =>
        Assert.That(LoadFails(("DB_RETRY_BASE_DELAY", "2"), ("DB_RETRY_MAX_DELAY", "1")).Message, Does.Contain("DB_RETRY_MAX_DELAY"));

    [Test]
    public void A_blank_DB_NAME_or_DB_USER_with_a_host_is_refused()
    {
        var ex = LoadFails(("DB_HOST", "h"), ("DB_NAME", "  "), ("DB_USER", " "));
        Assert.That(ex.Message, Does.Contain("DB_NAME").And.Contain("DB_USER"));
    }

    [Test]
    public void A_missing_CA_file_is_refused_with_its_path()
    {
        var ex = LoadFails(("DB_HOST", "h"), ("DB_SSL_CA", "certs/ca.pem"));
        Assert.That(ex.Message, Does.Contain("DB_SSL_CA").And.Contain(Path.Combine(_dir, "certs", "ca.pem")));
    }

    [Test]
    public void A_CA_file_without_a_mode_turns_on_verification()
    {
        File.WriteAllText(Path.Combine(_dir, "ca.pem"), "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
        var s = Load(("DB_HOST", "h"), ("DB_SSL_CA", "ca.pem"));
        Assert.Multiple(() =>
        {
            Assert.That(s.SslCa, Is.EqualTo(Path.Combine(_dir, "ca.pem")));
            Assert.That(s.SslMode, Is.EqualTo(DatabaseSslMode.VerifyCa));
        });
    }

    [Test]
    public void The_password_never_appears_in_the_settings_text()
    {
        var s = Load(("DB_HOST", "h"), ("DB_PASSWORD", "Sup3r-Secret!"));
        Assert.Multiple(() =>
        {
            Assert.That(s.ToString(), Does.Not.Contain("Sup3r-Secret!"));
            Assert.That(s.Describe(), Does.Contain("h:3306"));
        });
    }
}
