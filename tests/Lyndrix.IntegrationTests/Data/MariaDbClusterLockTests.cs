using Dapper;
using Lyndrix.Core.Data;
using Lyndrix.Core.Tests.Support;
using Lyndrix.IntegrationTests.Support;
using MySqlConnector;

namespace Lyndrix.IntegrationTests.Data;

/// <summary>Several hosts on one MariaDB database: migrations under the cluster-wide lease, applied once; a Galera-safe
/// schema (a primary key on every table); a lease held by a dead host runs out.</summary>
[TestFixture]
public sealed class MariaDbClusterLockTests
{
    private MariaDbServer _server = null!;
    private DatabaseSettings _settings = null!;
    private string _password = null!;
    private readonly List<MariaDbConnectionSource> _sources = [];

    [OneTimeSetUp]
    public async Task StartServer() => _server = await MariaDbServer.SharedAsync();

    [SetUp]
    public async Task CreateDatabase()
    {
        await _server.EnsureRunningAsync();
        var database = await _server.CreateDatabaseAsync("lock");
        _password = "Lock-" + Guid.NewGuid().ToString("N")[..12];
        await _server.CreateUserAsync("lock_user", _password, database);
        _settings = new DatabaseSettings
        {
            Host = MariaDbServer.Host, Port = _server.Port, User = "lock_user", Password = _password, Name = database,
            SslMode = DatabaseSslMode.Preferred, SqlitePath = "",
        };
    }

    [TearDown]
    public async Task DropDatabase()
    {
        foreach (var source in _sources)
        {
            await source.DisposeAsync();
        }

        _sources.Clear();
        await _server.ExecuteAsAdminAsync($"DROP DATABASE IF EXISTS `{_settings.Name}`");
    }

    // One host: its own pool, as a separate process would have.
    private MariaDbConnectionSource Host()
    {
        var source = new MariaDbConnectionSource(_settings);
        source.Configure(_password);
        _sources.Add(source);
        return source;
    }

    private SchemaMigrator Migrator(MariaDbConnectionSource source) =>
        new(source, new DatabaseCredentialRedactor(), TimeProvider.System, new CapturingLoggerProvider().CreateLogger<SchemaMigrator>());

    [Test]
    public async Task Hosts_starting_together_apply_each_migration_once()
    {
        // The second migration is not idempotent: run twice, the counter would say 2.
        SchemaMigration[] migrations =
        [
            SchemaMigration.Portable(1, "create counter", "CREATE TABLE `race_counter` (`id` INT NOT NULL PRIMARY KEY, `n` INT NOT NULL)"),
            SchemaMigration.Portable(2, "seed counter", "INSERT INTO `race_counter` (`id`, `n`) VALUES (1, 0)"),
            SchemaMigration.Portable(3, "count", "UPDATE `race_counter` SET `n` = `n` + 1 WHERE `id` = 1"),
        ];
        var hosts = Enumerable.Range(0, 5).Select(_ => Migrator(Host())).ToArray();
        var applied = await Task.WhenAll(hosts.Select(m => Task.Run(() => m.MigrateAsync("lyndrix.race", migrations, CancellationToken.None))));
        await using var connection = await _sources[0].OpenAsync(CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(await connection.ExecuteScalarAsync<int>("SELECT `n` FROM `race_counter` WHERE `id` = 1"), Is.EqualTo(1));
            Assert.That(applied.Sum(a => a.Count), Is.EqualTo(3), "each migration applied by exactly one host");
            Assert.That(await connection.ExecuteScalarAsync<string>("SELECT `holder` FROM `cluster_locks` WHERE `name` = 'schema_migrations'"), Is.Empty,
                "the lease is released");
        });
    }

    [Test]
    public async Task Every_table_of_the_core_schema_has_a_primary_key_as_galera_requires()
    {
        await Migrator(Host()).MigrateAsync("core", CoreSchema.Migrations, CancellationToken.None);
        await using var connection = await _sources[0].OpenAsync(CancellationToken.None);
        var withoutKey = await connection.QueryAsync<string>(
            "SELECT t.TABLE_NAME FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' " +
            "AND NOT EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS c WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA " +
            "AND c.TABLE_NAME = t.TABLE_NAME AND c.CONSTRAINT_TYPE = 'PRIMARY KEY')");
        var tables = await connection.QueryAsync<string>("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()");
        Assert.That(tables, Does.Contain("cluster_locks").And.Contain("schema_migrations").And.Contain("sessions"));
        Assert.That(withoutKey, Is.Empty);
    }

    [Test]
    public async Task A_lease_held_by_a_live_host_makes_others_wait_and_one_left_by_a_dead_host_runs_out()
    {
        var a = (MySqlConnection)await Host().OpenAsync(CancellationToken.None);
        var b = (MySqlConnection)await Host().OpenAsync(CancellationToken.None);
        await using (a)
        await using (b)
        {
            var lease = TimeSpan.FromSeconds(3);
            var held = await MariaDbLeaseLock.AcquireAsync(a, "test", lease, TimeSpan.FromSeconds(1), TimeProvider.System, CancellationToken.None);
            var wait = Assert.ThrowsAsync<TimeoutException>(() =>
                MariaDbLeaseLock.AcquireAsync(b, "test", lease, TimeSpan.FromSeconds(1), TimeProvider.System, CancellationToken.None));
            Assert.That(wait!.Message, Does.Contain(held.Holder));

            // The renewal keeps a live holder's lease beyond its length.
            await Task.Delay(lease + TimeSpan.FromSeconds(1));
            Assert.ThrowsAsync<TimeoutException>(() =>
                MariaDbLeaseLock.AcquireAsync(b, "test", lease, TimeSpan.FromMilliseconds(300), TimeProvider.System, CancellationToken.None));
            await held.DisposeAsync();
            await using var next = await MariaDbLeaseLock.AcquireAsync(b, "test", lease, TimeSpan.FromSeconds(1), TimeProvider.System, CancellationToken.None);

            // A host that died (no renewal, no release) leaves a row whose lease runs out.
            await b.ExecuteAsync("UPDATE `cluster_locks` SET `holder` = 'dead-host', `expires_at` = CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) + 1500 WHERE `name` = 'dead'");
            await b.ExecuteAsync("INSERT INTO `cluster_locks` (`name`, `holder`, `expires_at`) VALUES ('dead', 'dead-host', CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) + 1500)");
            await using var afterDeath = await MariaDbLeaseLock.AcquireAsync(a, "dead", lease, TimeSpan.FromSeconds(5), TimeProvider.System, CancellationToken.None);
            Assert.That(await a.ExecuteScalarAsync<string>("SELECT `holder` FROM `cluster_locks` WHERE `name` = 'dead'"), Is.EqualTo(afterDeath.Holder));
        }
    }
}
