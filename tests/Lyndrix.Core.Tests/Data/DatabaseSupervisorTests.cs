using System.Net.Sockets;
using Lyndrix.Core.Data;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Tests.Data.Support;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Microsoft.Data.Sqlite;
using Moq;

namespace Lyndrix.Core.Tests.Data;

public sealed class DatabaseSupervisorTests
{
    private TempDirectory _temp = null!;

    private string _dir => _temp.Path;
    private SupervisorHarness? _harness;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory("lyndrix-dbsup");

    [TearDown]
    public async Task TearDown()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        _temp.Dispose();
    }

    private DatabaseSettings Fast(DatabaseSettings? basis = null) => (basis ?? new DatabaseSettings { SqlitePath = Path.Combine(_dir, "storage", "lyndrix.db") }) with
    {
        ConnectTimeout = TimeSpan.FromSeconds(2),
        MaxRetries = 3,
        RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        RetryMaxDelay = TimeSpan.FromMilliseconds(20),
        RecoveryInterval = TimeSpan.FromMilliseconds(50),
        WatchdogInterval = TimeSpan.FromMilliseconds(30),
    };

    private SupervisorHarness Harness(DatabaseSettings settings, IDatabaseConnectionSource? source = null, ISchemaMigrator? migrator = null,
        IModuleSecretScopeFactory? secrets = null) => _harness = new SupervisorHarness(settings, source: source, migrator: migrator, secrets: secrets);

    private static Mock<ISchemaMigrator> Migrator()
    {
        var migrator = new Mock<ISchemaMigrator>();
        migrator.Setup(m => m.MigrateAsync(It.IsAny<string>(), It.IsAny<IReadOnlyList<SchemaMigration>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync([1]);
        return migrator;
    }

    [Test]
    public async Task It_connects_to_SQLite_only_after_the_secret_store_opened_and_then_migrates_and_announces_ready()
    {
        var h = Harness(Fast());
        await h.StartAsync(openVault: false);
        await Task.Delay(150);
        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Of(CoreTopics.DbConnected), Is.Empty);
            Assert.That(h.Status.State, Is.EqualTo(DatabaseState.WaitingForSecrets));
            Assert.That(h.Status.Detail, Does.Contain("vault:opened"));
            Assert.That(File.Exists(h.Settings.SqlitePath), Is.False);
        });

        h.Bus.Emit(CoreTopics.VaultOpened);
        await h.WaitForConnectedAsync();

        var connected = h.Events.Of(CoreTopics.DbConnected).Single();
        var events = h.Events.All.Select(e => e.Topic).ToList();
        Assert.Multiple(async () =>
        {
            Assert.That(connected.Payload.GetString("status"), Is.EqualTo("ready"));
            Assert.That(connected.Payload.GetString("dialect"), Is.EqualTo("sqlite"));
            Assert.That(connected.Payload.GetBoolean("reconnect"), Is.False);
            Assert.That(h.Events.Maintenance(null), Has.Count.EqualTo(1));
            Assert.That(events.IndexOf(CoreTopics.SystemMaintenanceMode), Is.LessThan(events.IndexOf(CoreTopics.DbConnected)),
                "maintenance is cleared before db:connected, so consumers of db:connected see a clear state");
            Assert.That(h.Status.IsConnected, Is.True);
            Assert.That(h.MigrationsApplied, Is.EqualTo(CoreSchema.Migrations.Count));
            Assert.That((await h.Migrator.ListAppliedAsync("core", CancellationToken.None)).Count(m => m.IsComplete), Is.EqualTo(CoreSchema.Migrations.Count));
            Assert.That(h.Boot.Step("database").Detail, Does.StartWith("connected to SQLite"));
        });
        if (!OperatingSystem.IsWindows())
        {
            Assert.That(File.GetUnixFileMode(h.Settings.SqlitePath), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite),
                "the database file holds password and token hashes: owner-only");
        }
    }

    [Test]
    public async Task Repeated_vault_opened_events_do_not_reconnect_or_repeat_db_connected()
    {
        var migrator = Migrator();
        var source = new ScriptedConnectionSource(Fast());
        var h = Harness(Fast(), source, migrator.Object);
        await h.StartAsync();
        await h.WaitForConnectedAsync();
        h.Bus.Emit(CoreTopics.VaultOpened);
        h.Bus.Emit(CoreTopics.VaultOpened);
        await Task.Delay(200);
        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Of(CoreTopics.DbConnected), Has.Count.EqualTo(1));
            migrator.Verify(m => m.MigrateAsync("core", It.IsAny<IReadOnlyList<SchemaMigration>>(), It.IsAny<CancellationToken>()), Times.Once);
        });
    }

    [Test]
    public async Task Transient_failures_are_retried_with_backoff_and_then_connect_without_maintenance()
    {
        var failures = 2;
        var source = new ScriptedConnectionSource(Fast()) { Failure = () => Interlocked.Decrement(ref failures) >= 0 ? new SocketException((int)SocketError.ConnectionRefused) : null };
        var h = Harness(Fast(), source, Migrator().Object);
        await h.StartAsync();
        await h.WaitForConnectedAsync();
        Assert.Multiple(() =>
        {
            Assert.That(h.FailedAttempts, Is.EqualTo(2));
            Assert.That(h.Events.Maintenance("max_retries"), Is.Empty);
            Assert.That(h.Logs.AllText, Does.Contain("retry 1 of 3").And.Contain("retry 2 of 3"));
        });
    }

    [Test]
    public async Task When_retries_run_out_maintenance_is_entered_and_slow_recovery_continues_until_the_database_returns()
    {
        var down = true;
        var source = new ScriptedConnectionSource(Fast()) { Failure = () => Volatile.Read(ref down) ? new SocketException((int)SocketError.ConnectionRefused) : null };
        var h = Harness(Fast(), source, Migrator().Object);
        await h.StartAsync();
        await h.WaitForMaintenanceAsync("max_retries");
        Assert.That(h.FailedAttempts, Is.GreaterThanOrEqualTo(4), "1 attempt + 3 retries");
        var maintenance = h.Events.Maintenance("max_retries").Single();
        Assert.That(maintenance.Payload.GetString("message"), Does.Contain("after 4 attempt(s)").And.Contain("DB_RECOVERY_INTERVAL").And.Contain("connection refused"));
        Assert.That(h.Status.State, Is.EqualTo(DatabaseState.Recovering));

        await Eventually.True(() => h.FailedAttempts >= 6, "slow recovery attempts after max_retries");
        Volatile.Write(ref down, false);
        await h.WaitForConnectedAsync();
        var topics = h.Events.All.Select(e => e.Topic + (e.Payload.GetString("reason") ?? "")).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Maintenance(null), Has.Count.EqualTo(1), "cleared once on recovery");
            Assert.That(topics.IndexOf(CoreTopics.SystemMaintenanceMode + "max_retries"), Is.LessThan(topics.IndexOf(CoreTopics.DbConnected)));
            Assert.That(h.Status.IsConnected, Is.True);
        });
    }

    [Test]
    public async Task A_permanent_failure_is_not_retried_until_the_secret_store_opens_again()
    {
        var settings = Fast(new DatabaseSettings { Host = "db.example", User = "app", Password = "pw-not-logged", SqlitePath = "" });
        var permanent = true;
        var source = new ScriptedConnectionSource(settings)
        {
            Failure = () => Volatile.Read(ref permanent) ? new SocketException((int)SocketError.HostNotFound) : null,
        };
        var h = Harness(settings, source, Migrator().Object);
        await h.StartAsync();
        await h.WaitForMaintenanceAsync("config_error");
        await Task.Delay(300);
        var maintenance = h.Events.Maintenance("config_error").Single();
        Assert.Multiple(() =>
        {
            Assert.That(h.FailedAttempts, Is.EqualTo(1), "no retry loop for a configuration error");
            Assert.That(maintenance.Payload.GetString("message"), Does.Contain("DB_HOST 'db.example' does not resolve"));
            Assert.That(h.Status.State, Is.EqualTo(DatabaseState.ConfigError));
            Assert.That(h.Boot.Step("database").Detail, Does.Contain("does not resolve"));
            Assert.That(h.Events.Of(CoreTopics.DbConnected), Is.Empty);
        });

        Volatile.Write(ref permanent, false);
        h.Bus.Emit(CoreTopics.VaultOpened);
        await h.WaitForConnectedAsync();
        Assert.That(h.Logs.AllText, Does.Not.Contain("pw-not-logged"));
    }

    [Test]
    public async Task The_watchdog_reports_a_lost_database_and_the_reconnect_does_not_repeat_migrations()
    {
        var down = false;
        var migrator = Migrator();
        var source = new ScriptedConnectionSource(Fast()) { Failure = () => Volatile.Read(ref down) ? new SocketException((int)SocketError.ConnectionReset) : null };
        var h = Harness(Fast(), source, migrator.Object);
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

        Volatile.Write(ref down, true);
        await Eventually.True(() => h.Events.Of(CoreTopics.DbDisconnected).Count == 1, "db:disconnected");
        var lost = h.Events.Of(CoreTopics.DbDisconnected).Single();
        Assert.That(lost.Payload.GetString("reason"), Is.EqualTo("network"));
        Assert.That(source.Resets, Is.GreaterThanOrEqualTo(1), "the pool is dropped before the second probe");
        Volatile.Write(ref down, false);
        await h.WaitForConnectedAsync(2);

        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Of(CoreTopics.DbConnected)[1].Payload.GetBoolean("reconnect"), Is.True);
            Assert.That(oneTimeWork, Is.EqualTo(1));
            Assert.That(h.Status.ConnectedCount, Is.EqualTo(2));
            migrator.Verify(m => m.MigrateAsync("core", It.IsAny<IReadOnlyList<SchemaMigration>>(), It.IsAny<CancellationToken>()), Times.Once);
        });
    }

    [Test]
    public async Task A_single_failed_watchdog_probe_is_not_a_disconnect()
    {
        var failNext = 0;
        var source = new ScriptedConnectionSource(Fast()) { Failure = () => Interlocked.Exchange(ref failNext, 0) == 1 ? new SocketException((int)SocketError.ConnectionReset) : null };
        var h = Harness(Fast(), source, Migrator().Object);
        await h.StartAsync();
        await h.WaitForConnectedAsync();
        Volatile.Write(ref failNext, 1);
        await Eventually.True(() => source.Resets >= 1, "second probe on a fresh pool");
        await Task.Delay(150);
        Assert.That(h.Events.Of(CoreTopics.DbDisconnected), Is.Empty);
    }

    [Test]
    public async Task The_password_from_the_secret_store_overrides_DB_PASSWORD_and_neither_is_logged()
    {
        var settings = Fast(new DatabaseSettings { Host = "db.example", User = "app", Password = "env-Passw0rd", SqlitePath = "" });
        var scope = new Mock<IModuleSecretScope>();
        scope.Setup(s => s.GetAsync(DatabaseModule.PasswordField, It.IsAny<CancellationToken>())).ReturnsAsync("vault-Passw0rd");
        var secrets = new Mock<IModuleSecretScopeFactory>();
        secrets.Setup(f => f.For(It.Is<ModuleManifest>(m => m.Id == DatabaseModule.Id && m.Type == ModuleType.Core))).Returns(scope.Object);
        var rejectVaultPassword = true;
        var source = new ScriptedConnectionSource(settings)
        {
            // Make sure the password shows up in an error text, to prove the redactor masks it.
            Failure = () => Interlocked.Exchange(ref rejectVaultPassword, false) ? new InvalidOperationException("login with vault-Passw0rd / env-Passw0rd failed") : null,
        };
        var h = Harness(settings, source, Migrator().Object, secrets.Object);
        await h.StartAsync();
        await h.WaitForConnectedAsync();
        Assert.Multiple(() =>
        {
            Assert.That(source.ConfiguredPasswords.Distinct(), Is.EqualTo(new[] { "vault-Passw0rd" }));
            Assert.That(h.Logs.AllText, Does.Contain("core/lyndrix.core.database"));
            Assert.That(h.Logs.AllText, Does.Not.Contain("vault-Passw0rd").And.Not.Contain("env-Passw0rd"));
            Assert.That(h.Logs.AllText, Does.Contain("login with *** / *** failed"));
        });
    }

    [Test]
    public async Task When_the_secret_store_cannot_answer_DB_PASSWORD_is_used()
    {
        var settings = Fast(new DatabaseSettings { Host = "db.example", User = "app", Password = "env-pw", SqlitePath = "" });
        var scope = new Mock<IModuleSecretScope>();
        scope.Setup(s => s.GetAsync(DatabaseModule.PasswordField, It.IsAny<CancellationToken>()))
            .ThrowsAsync(new SecretStoreUnavailableException("sealed"));
        var secrets = new Mock<IModuleSecretScopeFactory>();
        secrets.Setup(f => f.For(It.IsAny<ModuleManifest>())).Returns(scope.Object);
        var source = new ScriptedConnectionSource(settings);
        var h = Harness(settings, source, Migrator().Object, secrets.Object);
        await h.StartAsync();
        await h.WaitForConnectedAsync();
        Assert.Multiple(() =>
        {
            Assert.That(source.ConfiguredPasswords.Distinct(), Is.EqualTo(new[] { "env-pw" }));
            Assert.That(h.Logs.AllText, Does.Contain("using DB_PASSWORD"));
        });
    }

    [Test]
    public async Task A_failed_migration_puts_the_database_into_maintenance_and_never_announces_ready()
    {
        var migrator = new Mock<ISchemaMigrator>();
        migrator.Setup(m => m.MigrateAsync(It.IsAny<string>(), It.IsAny<IReadOnlyList<SchemaMigration>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new MigrationFailedException("core", 3, "create groups", true, "Database migration core #3 'create groups' failed at statement 1 of 1"));
        var h = Harness(Fast(), new ScriptedConnectionSource(Fast()), migrator.Object);
        await h.StartAsync();
        await h.WaitForMaintenanceAsync("migration_failed");
        await Task.Delay(150);
        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Maintenance("migration_failed").Single().Payload.GetString("message"), Does.Contain("core #3 'create groups'"));
            Assert.That(h.Events.Of(CoreTopics.DbConnected), Is.Empty);
            Assert.That(h.Status.State, Is.EqualTo(DatabaseState.MigrationFailed));
        });
    }

    [Test]
    public async Task A_connection_lost_during_the_migrations_is_retried_and_the_migrations_complete_once()
    {
        var calls = 0;
        var migrator = new Mock<ISchemaMigrator>();
        migrator.Setup(m => m.MigrateAsync(It.IsAny<string>(), It.IsAny<IReadOnlyList<SchemaMigration>>(), It.IsAny<CancellationToken>()))
            .Returns(() => Interlocked.Increment(ref calls) == 1
                ? Task.FromException<IReadOnlyList<int>>(new SocketException((int)SocketError.ConnectionReset))
                : Task.FromResult<IReadOnlyList<int>>([1]));
        var h = Harness(Fast(), new ScriptedConnectionSource(Fast()), migrator.Object);
        await h.StartAsync();
        await h.WaitForConnectedAsync();
        await Task.Delay(100);
        Assert.Multiple(() =>
        {
            Assert.That(calls, Is.EqualTo(2));
            Assert.That(h.Events.Of(CoreTopics.DbConnected), Has.Count.EqualTo(1));
            Assert.That(h.Logs.AllText, Does.Contain("migrations could not run"));
        });
    }

    [Test]
    public async Task A_damaged_SQLite_file_is_a_configuration_error()
    {
        var settings = Fast();
        Directory.CreateDirectory(Path.GetDirectoryName(settings.SqlitePath)!);
        await File.WriteAllTextAsync(settings.SqlitePath, new string('x', 4096));
        var h = Harness(settings);
        await h.StartAsync();
        await h.WaitForMaintenanceAsync("config_error");
        Assert.Multiple(() =>
        {
            Assert.That(h.FailedAttempts, Is.EqualTo(1));
            Assert.That(h.Events.Maintenance("config_error").Single().Payload.GetString("message"), Does.Contain("not a SQLite database").And.Contain("backup"));
        });
    }

    [Test]
    public async Task With_no_fast_retries_the_first_transient_failure_enters_maintenance()
    {
        var down = true;
        var source = new ScriptedConnectionSource(Fast()) { Failure = () => Volatile.Read(ref down) ? new SocketException((int)SocketError.TimedOut) : null };
        var h = Harness(Fast() with { MaxRetries = 0 }, source, Migrator().Object);
        await h.StartAsync();
        await h.WaitForMaintenanceAsync("max_retries");
        Volatile.Write(ref down, false);
        await h.WaitForConnectedAsync();
        Assert.That(h.Events.Maintenance("max_retries").Single().Payload.GetString("message"), Does.Contain("after 1 attempt(s)"));
    }
}
