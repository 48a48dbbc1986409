using System.Collections.Concurrent;
using Dapper;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Data;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Tests.Data.Support;
using Lyndrix.Core.Tests.Support;
using Lyndrix.IntegrationTests.Support;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Moq;
using MySqlConnector;

namespace Lyndrix.IntegrationTests.Data;

/// <summary>
/// The database supervisor against a real MariaDB server: connecting, migrating, configuration errors, a server that is
/// down at boot, a server killed while running, pooled-connection validation, and a scan of every captured log line of
/// these runs for the passwords they used.
/// </summary>
[TestFixture]
public sealed class MariaDbSupervisionTests
{
    // Every password any test of this fixture used, and every log any test captured, for the final scan.
    private static readonly ConcurrentBag<string> Passwords = [];
    private static readonly ConcurrentBag<CapturingLoggerProvider> AllLogs = [];

    private MariaDbServer _server = null!;
    private readonly List<IAsyncDisposable> _cleanup = [];
    private readonly List<CapturingLoggerProvider> _testLogs = [];
    private string _database = "";
    private string _user = "";
    private string _password = "";

    [OneTimeSetUp]
    public async Task StartServer() => _server = await MariaDbServer.SharedAsync();

    [SetUp]
    public async Task CreateDatabaseAndUser()
    {
        await _server.EnsureRunningAsync();
        _database = await _server.CreateDatabaseAsync("sup");
        _user = "sup_user";
        _password = NewPassword();
        await _server.CreateUserAsync(_user, _password, _database);
    }

    [TearDown]
    public async Task CleanUp()
    {
        foreach (var d in _cleanup.AsEnumerable().Reverse())
        {
            await d.DisposeAsync();
        }

        _cleanup.Clear();
        var text = string.Join("\n", _testLogs.Select(l => l.AllText));
        _testLogs.Clear();
        foreach (var password in Passwords)
        {
            Assert.That(text, Does.Not.Contain(password), "a database password reached a log line of this test");
        }

        await _server.EnsureRunningAsync();
        await _server.ExecuteAsAdminAsync($"DROP DATABASE IF EXISTS `{_database}`");
    }

    [OneTimeTearDown]
    public void No_log_of_any_run_contains_a_password()
    {
        var text = string.Join("\n", AllLogs.Select(l => l.AllText));
        Assert.That(text, Is.Not.Empty, "logs were captured");
        foreach (var password in Passwords)
        {
            Assert.That(text, Does.Not.Contain(password), "a database password reached a log line");
        }
    }

    private static string NewPassword(string prefix = "Pw")
    {
        var password = prefix + "-" + Guid.NewGuid().ToString("N")[..16];
        Passwords.Add(password);
        return password;
    }

    private DatabaseSettings Settings(string? password = null, string? database = null, string? user = null) => new()
    {
        Host = MariaDbServer.Host,
        Port = _server.Port,
        User = user ?? _user,
        Password = password ?? _password,
        Name = database ?? _database,
        SslMode = DatabaseSslMode.Preferred,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        MaxRetries = 3,
        RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        RetryMaxDelay = TimeSpan.FromMilliseconds(100),
        RecoveryInterval = TimeSpan.FromMilliseconds(200),
        WatchdogInterval = TimeSpan.FromMilliseconds(100),
        SqlitePath = "",
    };

    private SupervisorHarness Harness(DatabaseSettings settings, IModuleSecretScopeFactory? secrets = null)
    {
        var logs = new CapturingLoggerProvider();
        AllLogs.Add(logs);
        _testLogs.Add(logs);
        var harness = new SupervisorHarness(settings, logs, secrets: secrets);
        _cleanup.Add(harness);
        return harness;
    }

    private async Task<long> CountRowsAsync(string table) =>
        await _server.ScalarAsAdminAsync<long>($"SELECT COUNT(*) FROM `{table}`", _database);

    [Test]
    public async Task It_connects_migrates_and_announces_ready()
    {
        var h = Harness(Settings());
        await h.StartAsync();
        await h.WaitForConnectedAsync();
        var connected = h.Events.Of(CoreTopics.DbConnected).Single();
        Assert.Multiple(async () =>
        {
            Assert.That(connected.Payload.GetString("status"), Is.EqualTo("ready"));
            Assert.That(connected.Payload.GetString("dialect"), Is.EqualTo("mariadb"));
            Assert.That(h.Events.Maintenance(null), Has.Count.EqualTo(1));
            Assert.That(h.FailedAttempts, Is.Zero);
            Assert.That(await CountRowsAsync("schema_migrations"), Is.EqualTo(CoreSchema.Migrations.Count));
            Assert.That(await CountRowsAsync("plugin_states"), Is.Zero);
        });

        // CRUD through the stores on the supervised source.
        var users = new SqlUserStore(h.Source, TimeProvider.System);
        await users.CreateAsync(new UserRecord("u-1", "admin", "hash", null, null, ["INT_ADMIN"], true, null, DateTimeOffset.UnixEpoch), CancellationToken.None);
        Assert.That((await users.FindAsync("admin", CancellationToken.None))!.Roles, Is.EqualTo(new[] { "INT_ADMIN" }));
    }

    [Test]
    public async Task A_password_with_special_characters_from_the_environment_works()
    {
        var special = "p@ss:w/rd;'\"\\ %#=é?&" + Guid.NewGuid().ToString("N")[..6];
        Passwords.Add(special);
        await _server.CreateUserAsync("special_user", special, _database);
        var settings = DatabaseSettings.Load(EnvironmentConfigSource.FromValues(new Dictionary<string, string>
        {
            ["DB_HOST"] = MariaDbServer.Host,
            ["DB_PORT"] = _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DB_USER"] = "special_user",
            ["DB_PASSWORD"] = special,
            ["DB_NAME"] = _database,
            ["DB_MAX_RETRIES"] = "0",
            ["DB_RECOVERY_INTERVAL"] = "0.2",
        }), Path.GetTempPath(), Path.GetTempPath());
        var h = Harness(settings);
        await h.StartAsync();
        await h.WaitForConnectedAsync();
        Assert.That(h.Logs.AllText, Does.Not.Contain(special));
    }

    [Test]
    public async Task The_password_in_the_secret_store_overrides_a_wrong_DB_PASSWORD()
    {
        var scope = new Mock<IModuleSecretScope>();
        scope.Setup(s => s.GetAsync(DatabaseModule.PasswordField, It.IsAny<CancellationToken>())).ReturnsAsync(_password);
        var secrets = new Mock<IModuleSecretScopeFactory>();
        secrets.Setup(f => f.For(It.Is<ModuleManifest>(m => m.Id == DatabaseModule.Id && m.Type == ModuleType.Core))).Returns(scope.Object);
        var h = Harness(Settings(password: NewPassword("Wrong")), secrets.Object);
        await h.StartAsync();
        await h.WaitForConnectedAsync();
        Assert.That(h.Logs.AllText, Does.Contain("using the password from the secret store (core/lyndrix.core.database"));
    }

    [Test]
    public async Task A_wrong_password_is_a_configuration_error_without_a_retry_loop()
    {
        var h = Harness(Settings(password: NewPassword("Wrong")));
        await h.StartAsync();
        await h.WaitForMaintenanceAsync("config_error");
        await Task.Delay(500); // several retry delays: a retry loop would show up here
        var message = h.Events.Maintenance("config_error").Single().Payload.GetString("message");
        Assert.Multiple(() =>
        {
            Assert.That(h.FailedAttempts, Is.EqualTo(1));
            Assert.That(message, Does.Contain("error 1045").And.Contain("'sup_user'").And.Contain("DB_PASSWORD").And.Contain("restart"));
            Assert.That(h.Events.Of(CoreTopics.DbConnected), Is.Empty);
            Assert.That(h.Status.State, Is.EqualTo(DatabaseState.ConfigError));
        });
    }

    [Test]
    public async Task An_unknown_database_is_a_configuration_error()
    {
        await _server.ExecuteAsAdminAsync($"GRANT ALL PRIVILEGES ON `missing_db`.* TO '{_user}'@'{MariaDbServer.Host}'");
        var h = Harness(Settings(database: "missing_db"));
        await h.StartAsync();
        await h.WaitForMaintenanceAsync("config_error");
        await Task.Delay(300);
        Assert.Multiple(() =>
        {
            Assert.That(h.FailedAttempts, Is.EqualTo(1));
            Assert.That(h.Events.Maintenance("config_error").Single().Payload.GetString("message"),
                Does.Contain("error 1049").And.Contain("CREATE DATABASE `missing_db`"));
        });
    }

    [Test]
    public async Task A_database_the_user_may_not_use_is_a_configuration_error()
    {
        var other = await _server.CreateDatabaseAsync("other");
        try
        {
            var h = Harness(Settings(database: other));
            await h.StartAsync();
            await h.WaitForMaintenanceAsync("config_error");
            Assert.That(h.Events.Maintenance("config_error").Single().Payload.GetString("message"), Does.Contain("error 1044").And.Contain("GRANT"));
        }
        finally
        {
            await _server.ExecuteAsAdminAsync($"DROP DATABASE `{other}`");
        }
    }

    [Test]
    public async Task An_unresolvable_host_is_a_configuration_error()
    {
        var probe = await MariaDbReachabilityProbe.ProbeAsync("lyndrix-db.invalid", 3306, TimeSpan.FromSeconds(5), CancellationToken.None);
        if (probe.Outcome == MariaDbProbeOutcome.DnsUnavailable)
        {
            Assert.Ignore("This machine's resolver cannot answer at all (no NXDOMAIN for .invalid), so the permanent case cannot be shown here.");
        }

        var h = Harness(Settings() with { Host = "lyndrix-db.invalid" });
        await h.StartAsync();
        await h.WaitForMaintenanceAsync("config_error");
        Assert.Multiple(() =>
        {
            Assert.That(h.FailedAttempts, Is.EqualTo(1));
            Assert.That(h.Events.Maintenance("config_error").Single().Payload.GetString("message"), Does.Contain("DB_HOST 'lyndrix-db.invalid' does not resolve"));
        });
    }

    [Test]
    public async Task Requiring_TLS_from_a_server_without_TLS_is_a_configuration_error()
    {
        var h = Harness(Settings() with { SslMode = DatabaseSslMode.Required });
        await h.StartAsync();
        await h.WaitForMaintenanceAsync("config_error");
        Assert.Multiple(() =>
        {
            Assert.That(h.FailedAttempts, Is.EqualTo(1));
            Assert.That(h.Events.Maintenance("config_error").Single().Payload.GetString("message"),
                Does.Contain("DB_SSL_MODE=required requires TLS").And.Contain("does not offer it"));
        });
    }

    [Test]
    public async Task Too_many_connections_is_transient_and_the_connection_succeeds_once_a_slot_frees()
    {
        await _server.ExecuteAsAdminAsync($"ALTER USER '{_user}'@'{MariaDbServer.Host}' WITH MAX_USER_CONNECTIONS 1");
        var holder = new MySqlConnection(Settings().UsesMariaDb ? MariaDbConnectionSource.BuildConnectionString(Settings(), _password) + ";Pooling=false" : "");
        await holder.OpenAsync();
        var h = Harness(Settings());
        await h.StartAsync();
        await Eventually.True(() => h.FailedAttempts >= 2, "retries while the only slot is taken");
        Assert.That(h.Logs.AllText, Does.Contain("too_many_connections"));
        await holder.DisposeAsync();
        await h.WaitForConnectedAsync();
        Assert.That(h.Events.Maintenance("config_error"), Is.Empty);
    }

    [Test]
    public async Task A_server_that_is_down_at_boot_is_retried_into_maintenance_and_recovers_when_it_starts()
    {
        await _server.StopAsync();
        var h = Harness(Settings());
        await h.StartAsync();
        await h.WaitForMaintenanceAsync("max_retries");
        Assert.Multiple(() =>
        {
            Assert.That(h.FailedAttempts, Is.GreaterThanOrEqualTo(4), "1 attempt + 3 retries");
            Assert.That(h.Events.Maintenance("max_retries").Single().Payload.GetString("message"), Does.Contain("connection refused"));
            Assert.That(h.Boot.Step("database").Detail, Does.Contain("refused"));
            Assert.That(h.Events.Of(CoreTopics.DbConnected), Is.Empty);
        });

        await _server.StartAsync();
        await h.WaitForConnectedAsync();
        var topics = h.Events.All.Select(e => e.Topic + "/" + (e.Payload.GetString("reason") ?? e.Payload.GetBoolean("active")?.ToString() ?? "")).ToList();
        Assert.Multiple(async () =>
        {
            Assert.That(topics.IndexOf(CoreTopics.SystemMaintenanceMode + "/max_retries"), Is.LessThan(topics.IndexOf(CoreTopics.SystemMaintenanceMode + "/False")));
            Assert.That(topics.IndexOf(CoreTopics.SystemMaintenanceMode + "/False"), Is.LessThan(topics.IndexOf(CoreTopics.DbConnected + "/")));
            Assert.That(await CountRowsAsync("schema_migrations"), Is.EqualTo(CoreSchema.Migrations.Count));
        });
    }

    [Test]
    public async Task A_server_killed_while_running_is_reported_lost_and_reconnected_without_repeating_one_time_work()
    {
        var h = Harness(Settings());
        var oneTimeWork = 0;
        using var consumer = h.Bus.Subscribe(CoreTopics.DbConnected, "iam-like", ev =>
        {
            if (ev.Payload.GetBoolean("reconnect") != true)
            {
                Interlocked.Increment(ref oneTimeWork);
            }
        });
        await h.StartAsync();
        await h.WaitForConnectedAsync();
        var users = new SqlUserStore(h.Source, TimeProvider.System);
        await users.CreateAsync(new UserRecord("u-1", "before", null, null, null, [], false, null, DateTimeOffset.UnixEpoch), CancellationToken.None);

        await _server.KillAsync();
        await Eventually.True(() => h.Events.Of(CoreTopics.DbDisconnected).Count == 1, "db:disconnected", 20);
        await _server.StartAsync();
        await h.WaitForConnectedAsync(2, 30);

        var connected = h.Events.Of(CoreTopics.DbConnected);
        Assert.Multiple(async () =>
        {
            Assert.That(h.Events.Of(CoreTopics.DbDisconnected).Single().Payload.GetString("message"), Does.Contain("Lost the database"));
            Assert.That(connected.Select(e => e.Payload.GetBoolean("reconnect")), Is.EqualTo(new bool?[] { false, true }));
            Assert.That(oneTimeWork, Is.EqualTo(1), "a consumer's one-time work runs once");
            Assert.That(h.MigrationsApplied, Is.EqualTo(CoreSchema.Migrations.Count), "migrations ran once per process, not on reconnect");
            Assert.That(await CountRowsAsync("schema_migrations"), Is.EqualTo(CoreSchema.Migrations.Count));
            Assert.That(h.Status.ConnectedCount, Is.EqualTo(2));
            Assert.That(await users.FindAsync("before", CancellationToken.None), Is.Not.Null, "data written before the crash is there after it");
        });
    }

    [Test]
    public async Task Pooled_connections_broken_by_a_server_restart_are_never_handed_out()
    {
        var source = new MariaDbConnectionSource(Settings());
        _cleanup.Add(source);
        source.Configure(_password);
        // Fill the pool with sessions, then restart the server under them.
        var open = new List<System.Data.Common.DbConnection>();
        for (var i = 0; i < 3; i++)
        {
            open.Add(await source.OpenAsync(CancellationToken.None));
        }

        foreach (var c in open)
        {
            await c.DisposeAsync();
        }

        await _server.KillAsync();
        await _server.StartAsync();

        for (var i = 0; i < 3; i++)
        {
            await using var connection = await source.OpenAsync(CancellationToken.None);
            Assert.That(await connection.ExecuteScalarAsync<long>("SELECT 1"), Is.EqualTo(1), $"checkout {i + 1} after the restart");
        }
    }

    [Test]
    public async Task The_whole_host_boots_on_MariaDB_when_DB_HOST_is_set()
    {
        var root = TestSettings.TempDirectory();
        var settings = TestSettings.Host(root,
            ("DB_HOST", MariaDbServer.Host), ("DB_PORT", _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("DB_USER", _user), ("DB_PASSWORD", _password), ("DB_NAME", _database), ("DB_CONNECT_TIMEOUT", "2"));
        var host = await RunningHost.StartAsync(settings);
        AllLogs.Add(host.Logs);
        _testLogs.Add(host.Logs);
        try
        {
            var bus = host.Get<Lyndrix.Core.Events.EventBus>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var connected = await bus.WaitForAsync(CoreTopics.DbConnected, timeout.Token);
            await host.Get<IPluginStateStore>().SaveAsync(new PluginStateRecord("lyndrix.plugin.hello", true, "1.0.0"), CancellationToken.None);
            Assert.Multiple(async () =>
            {
                Assert.That(connected.Payload.GetString("dialect"), Is.EqualTo("mariadb"));
                Assert.That(await CountRowsAsync("plugin_states"), Is.EqualTo(1));
                Assert.That(File.Exists(Path.Combine(root, "storage", DatabaseSettings.SqliteFileName)), Is.False, "no embedded database when DB_HOST is set");
                Assert.That(host.Logs.AllText, Does.Not.Contain(_password));
            });
        }
        finally
        {
            await host.DisposeAsync();
            Directory.Delete(root, recursive: true);
        }
    }
}
