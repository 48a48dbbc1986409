using Dapper;
using Lyndrix.Core.Data;
using Lyndrix.Core.Tests.Support;
using Lyndrix.IntegrationTests.Support;

namespace Lyndrix.IntegrationTests.Data;

/// <summary>
/// Several hosts on a real three-node MariaDB Galera cluster (started here on 127.0.0.1-3): migrations race from hosts on
/// different nodes and run once (a per-server <c>GET_LOCK</c> would let each node's host through), and a node killed while
/// the hosts write loses no acknowledged write; the hosts carry on with the other nodes and every node holds the same rows.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class GaleraClusterTests
{
    private const string User = "galera_user";

    private GaleraCluster _cluster = null!;
    private string _password = null!;
    private readonly List<MariaDbConnectionSource> _sources = [];
    private string _database = null!;

    [OneTimeSetUp]
    public async Task StartCluster()
    {
        _cluster = await GaleraCluster.StartAsync(3);
        _password = "Galera-" + Guid.NewGuid().ToString("N")[..12];
        await _cluster.ExecuteAsync(0, $"CREATE USER '{User}'@'127.0.0.%' IDENTIFIED BY '{_password}'");
    }

    [OneTimeTearDown]
    public async Task StopCluster() => await _cluster.DisposeAsync();

    [SetUp]
    public async Task CreateDatabase()
    {
        for (var node = 0; node < _cluster.NodeCount; node++)
        {
            await _cluster.RestartAsync(node);
        }

        _database = "g_" + Guid.NewGuid().ToString("N")[..16];
        await _cluster.ExecuteAsync(0, $"CREATE DATABASE `{_database}` CHARACTER SET utf8mb4");
        await _cluster.ExecuteAsync(0, $"GRANT ALL PRIVILEGES ON `{_database}`.* TO '{User}'@'127.0.0.%'");
        // Made through node 1; a host that connects to node 2 or 3 before they applied it would get 1044.
        await _cluster.WaitUntilUsableEverywhereAsync(User, _password, _database, TimeSpan.FromSeconds(30));
    }

    [TearDown]
    public async Task DropDatabase()
    {
        foreach (var source in _sources)
        {
            await source.DisposeAsync();
        }

        _sources.Clear();
        await _cluster.ExecuteAsync(0, $"DROP DATABASE IF EXISTS `{_database}`");
    }

    /// <summary>One host: its own pool, as a separate process has, on <paramref name="hosts"/> (DB_HOST).</summary>
    private MariaDbConnectionSource Host(string hosts)
    {
        var source = new MariaDbConnectionSource(new DatabaseSettings
        {
            Host = hosts, Port = _cluster.Port, User = User, Password = _password, Name = _database, SslMode = DatabaseSslMode.None,
            ConnectTimeout = TimeSpan.FromSeconds(2), SqlitePath = "",
        });
        source.Configure(_password);
        _sources.Add(source);
        return source;
    }

    private static SchemaMigrator Migrator(MariaDbConnectionSource source) =>
        new(source, new DatabaseCredentialRedactor(), TimeProvider.System, new CapturingLoggerProvider().CreateLogger<SchemaMigrator>());

    [Test]
    public async Task Hosts_on_different_nodes_starting_together_apply_each_migration_once()
    {
        SchemaMigration[] migrations =
        [
            SchemaMigration.Portable(1, "create counter", "CREATE TABLE `race_counter` (`id` INT NOT NULL PRIMARY KEY, `n` INT NOT NULL)"),
            SchemaMigration.Portable(2, "seed counter", "INSERT INTO `race_counter` (`id`, `n`) VALUES (1, 0)"),
            SchemaMigration.Portable(3, "count", "UPDATE `race_counter` SET `n` = `n` + 1 WHERE `id` = 1"),
        ];
        // Two hosts per node, each pinned to its node.
        var hosts = Enumerable.Range(0, 6).Select(i => Migrator(Host(GaleraCluster.Address(i % 3)))).ToArray();
        var applied = await Task.WhenAll(hosts.Select(m => Task.Run(async () =>
        {
            var core = await m.MigrateAsync("core", CoreSchema.Migrations, CancellationToken.None);
            var race = await m.MigrateAsync("lyndrix.race", migrations, CancellationToken.None);
            return core.Count + race.Count;
        })));
        Assert.That(applied.Sum(), Is.EqualTo(CoreSchema.Migrations.Count + migrations.Length), "each migration applied by exactly one host");
        for (var node = 0; node < 3; node++)
        {
            Assert.That(await _cluster.ScalarAsync<int>(node, "SELECT `n` FROM `race_counter` WHERE `id` = 1", _database), Is.EqualTo(1), $"node {node + 1}");
            Assert.That(await _cluster.ScalarAsync<int>(node, "SELECT COUNT(*) FROM `schema_migrations`", _database),
                Is.EqualTo(CoreSchema.Migrations.Count + migrations.Length), $"node {node + 1}");
        }
    }

    [Test]
    public async Task An_sso_code_issued_through_one_node_is_redeemed_at_once_through_another_and_only_once()
    {
        await Migrator(Host(_cluster.Hosts)).MigrateAsync("core", CoreSchema.Migrations, CancellationToken.None);
        var issuer = new Lyndrix.Core.Auth.SsoHandoffCodes(Host(GaleraCluster.Address(0)), TimeProvider.System);
        // Six hosts, two on each node (one on the issuer's node too), all redeeming every code at once: certification conflicts
        // on every code. An autocommit DELETE ... RETURNING would hand the row to several of them here (Galera sends the rows
        // before certification and then retries the statement on its own); see SsoHandoffCodes.RedeemAsync.
        var redeemers = Enumerable.Range(0, 6)
            .Select(i => new Lyndrix.Core.Auth.SsoHandoffCodes(Host(GaleraCluster.Address(i % 3)), TimeProvider.System)).ToArray();
        for (var i = 0; i < 20; i++)
        {
            var code = await issuer.IssueAsync($"user{i}", "oidc", CancellationToken.None);
            var redeemed = await Task.WhenAll(redeemers.Select(r => Task.Run(() => r.RedeemAsync(code, CancellationToken.None))));
            Assert.That(redeemed.Where(r => r is not null), Is.EqualTo(new[] { ($"user{i}", "oidc") }), $"code {i}: exactly one host redeems it");
        }
    }

    [Test]
    public async Task Failed_sign_ins_through_three_nodes_count_against_one_limit_and_a_success_on_any_clears_them()
    {
        await Migrator(Host(_cluster.Hosts)).MigrateAsync("core", CoreSchema.Migrations, CancellationToken.None);
        var settings = Lyndrix.Core.Auth.AuthSettings.Load(new Lyndrix.Core.Configuration.EnvironmentConfigSource(
            new Dictionary<string, string> { ["LYNDRIX_LOGIN_MAX_FAILURES_PER_USER"] = "3" }), Path.GetTempPath());
        var hosts = Enumerable.Range(0, 3)
            .Select(i => new Lyndrix.Core.Auth.ClusterLoginFailures(Host(GaleraCluster.Address(i)), settings, TimeProvider.System)).ToArray();
        for (var i = 0; i < 3; i++)
        {
            Assert.That(await hosts[(i + 1) % 3].RetryAfterAsync("alice", CancellationToken.None), Is.Null, $"before failure {i + 1}");
            await hosts[i].FailedAsync("alice");
        }

        // Each node saw one failure written through it; every one of them refuses the fourth attempt at once.
        for (var node = 0; node < 3; node++)
        {
            Assert.That(await hosts[node].RetryAfterAsync("alice", CancellationToken.None), Is.Not.Null, $"node {node + 1}");
        }

        Assert.That(await hosts[0].RetryAfterAsync("bob", CancellationToken.None), Is.Null, "another account");
        await hosts[2].SucceededAsync("alice", CancellationToken.None);
        Assert.That(await hosts[0].RetryAfterAsync("alice", CancellationToken.None), Is.Null, "a success through node 3 cleared node 1 at once");
    }

    [Test]
    public async Task A_node_killed_while_three_hosts_write_loses_no_acknowledged_write_and_the_hosts_carry_on()
    {
        await Migrator(Host(_cluster.Hosts)).MigrateAsync("core", CoreSchema.Migrations, CancellationToken.None);
        var stores = Enumerable.Range(0, 3).Select(_ => new SqlPluginStateStore(Host(_cluster.Hosts), TimeProvider.System)).ToArray();
        var acknowledged = new int[stores.Length];
        var failures = new List<Exception>();
        using var stop = new CancellationTokenSource();

        async Task WriteAsync(int host)
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    await stores[host].SaveAsync(new PluginStateRecord($"w{host}.{i}", i % 2 == 0, "1.0.0"), CancellationToken.None);
                    acknowledged[host]++;
                }
                catch (Exception e)
                {
                    lock (failures)
                    {
                        failures.Add(e);
                    }

                    // Not acknowledged: the caller would see an error. The same write is tried again, as a client would.
                    i--;
                    await Task.Delay(100);
                }
            }
        }

        var writers = Enumerable.Range(0, stores.Length).Select(h => Task.Run(() => WriteAsync(h))).ToArray();
        await Eventually.True(() => acknowledged.Sum() >= 60, "writes before the kill", 30);
        await _cluster.KillAsync(2);
        var atKill = acknowledged.Sum();
        await Eventually.True(() => acknowledged.Sum() >= atKill + 90, "writes after the kill", 60);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        var expected = acknowledged.Sum();
        Assert.Multiple(async () =>
        {
            for (var node = 0; node < 2; node++)
            {
                Assert.That(await _cluster.ScalarAsync<int>(node, "SELECT COUNT(*) FROM `plugin_states`", _database), Is.EqualTo(expected),
                    $"node {node + 1} holds every acknowledged write");
            }

            Assert.That(await _cluster.ClusterSizeAsync(0), Is.EqualTo(2), "the cluster carries on without the killed node");
            Assert.That(failures, Is.Empty, "the idempotent upsert rode over the lost node: " + string.Join("; ", failures.Select(f => f.Message).Distinct()));
        });

        // The node comes back, catches up, and serves the same rows.
        await _cluster.RestartAsync(2);
        Assert.That(await _cluster.ScalarAsync<int>(2, "SELECT COUNT(*) FROM `plugin_states`", _database), Is.EqualTo(expected));
        Assert.That(await _cluster.ClusterSizeAsync(2), Is.EqualTo(3));
    }
}
