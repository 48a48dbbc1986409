using Dapper;
using Lyndrix.Core.Data;
using Lyndrix.IntegrationTests.Support;
using MySqlConnector;

namespace Lyndrix.IntegrationTests.Data;

/// <summary>
/// When a write is tried again, against a real MariaDB: a write that lost a deadlock (1213, what Galera reports for a
/// certification failure too) was rolled back, so even a write that is not idempotent is repeated, and lands once; a write
/// whose connection broke may have committed, so only an idempotent one is repeated.
/// </summary>
[TestFixture]
public sealed class WriteRetryTests
{
    private MariaDbServer _server = null!;
    private MariaDbConnectionSource _source = null!;
    private string _database = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _server = await MariaDbServer.SharedAsync();

    [SetUp]
    public async Task CreateDatabase()
    {
        await _server.EnsureRunningAsync();
        _database = await _server.CreateDatabaseAsync("retry");
        var password = "Retry-" + Guid.NewGuid().ToString("N")[..12];
        await _server.CreateUserAsync("retry_user", password, _database);
        _source = new MariaDbConnectionSource(new DatabaseSettings
        {
            Host = MariaDbServer.Host, Port = _server.Port, User = "retry_user", Password = password, Name = _database,
            SslMode = DatabaseSslMode.Preferred, SqlitePath = "",
        });
        _source.Configure(password);
        await _server.ExecuteAsAdminAsync($"CREATE TABLE `{_database}`.`account` (`id` INT NOT NULL PRIMARY KEY, `n` INT NOT NULL) ENGINE=InnoDB");
        await _server.ExecuteAsAdminAsync($"INSERT INTO `{_database}`.`account` VALUES (1, 0), (2, 0)");
        await _server.ExecuteAsAdminAsync($"CREATE TABLE `{_database}`.`entries` (`id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY, `note` VARCHAR(20) NOT NULL) ENGINE=InnoDB");
    }

    [TearDown]
    public async Task DropDatabase()
    {
        await _source.DisposeAsync();
        await _server.ExecuteAsAdminAsync($"DROP DATABASE IF EXISTS `{_database}`");
    }

    [Test]
    public async Task A_write_that_lost_a_deadlock_is_repeated_once_and_lands_once()
    {
        // The other side holds row 2 and has written a lot (InnoDB rolls back the lighter transaction of a deadlock: ours).
        await using var other = new MySqlConnection(_server.AdminConnectionString(_database));
        await other.OpenAsync();
        await other.ExecuteAsync("CREATE TABLE `ballast` (`id` INT NOT NULL PRIMARY KEY) ENGINE=InnoDB");
        await using var otherTx = await other.BeginTransactionAsync();
        await other.ExecuteAsync("INSERT INTO `ballast` SELECT seq FROM seq_1_to_2000", transaction: otherTx);
        await other.ExecuteAsync("UPDATE `account` SET `n` = `n` + 100 WHERE `id` = 2", transaction: otherTx);

        var attempts = 0;
        Task? closing = null;
        await WriteRetry.OnceAsync(_source, async (connection, ct) =>
        {
            attempts++;
            await using var tx = await connection.BeginTransactionAsync(ct);
            // Not idempotent: a new entry and an increment.
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO `entries` (`note`) VALUES ('transfer')", transaction: tx, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition("UPDATE `account` SET `n` = `n` + 1 WHERE `id` = 1", transaction: tx, cancellationToken: ct));
            if (attempts == 1)
            {
                // Row 1 is ours, row 2 theirs; each now waits for the other's.
                closing = Task.Run(async () =>
                {
                    await Task.Delay(300);
                    await other.ExecuteAsync("UPDATE `account` SET `n` = `n` + 100 WHERE `id` = 1", transaction: otherTx);
                    await otherTx.CommitAsync();
                }, CancellationToken.None);
            }

            await connection.ExecuteAsync(new CommandDefinition("UPDATE `account` SET `n` = `n` + 1 WHERE `id` = 2", transaction: tx, cancellationToken: ct));
            await tx.CommitAsync(ct);
        }, TimeProvider.System, CancellationToken.None);
        await closing!;

        Assert.Multiple(async () =>
        {
            Assert.That(attempts, Is.EqualTo(2), "the deadlock victim was tried again");
            Assert.That(await _server.ScalarAsAdminAsync<long>("SELECT COUNT(*) FROM `entries`", _database), Is.EqualTo(1), "one entry");
            Assert.That(await _server.ScalarAsAdminAsync<long>("SELECT SUM(`n`) FROM `account`", _database), Is.EqualTo(202), "each increment once");
        });
    }

    [Test]
    public async Task A_write_whose_connection_broke_is_repeated_only_when_it_is_idempotent()
    {
        var attempts = 0;

        async Task WriteAsync(System.Data.Common.DbConnection connection, CancellationToken ct)
        {
            attempts++;
            if (attempts == 1)
            {
                // The node goes away under this connection: whether a write sent now committed is unknown to the client.
                var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT CONNECTION_ID()", cancellationToken: ct));
                await _server.ExecuteAsAdminAsync($"KILL CONNECTION {id}");
            }

            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO `entries` (`note`) VALUES ('once')", cancellationToken: ct));
        }

        Assert.That(async () => await WriteRetry.OnceAsync(_source, WriteAsync, TimeProvider.System, CancellationToken.None), Throws.InstanceOf<MySqlException>());
        Assert.That(attempts, Is.EqualTo(1), "a write that is not idempotent is not repeated after a broken connection");

        attempts = 0;
        await WriteRetry.IdempotentAsync(_source, WriteAsync, TimeProvider.System, CancellationToken.None);
        Assert.That(attempts, Is.EqualTo(2), "an idempotent one is");
    }
}
