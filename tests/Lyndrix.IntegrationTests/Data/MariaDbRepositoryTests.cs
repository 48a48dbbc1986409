using Dapper;
using Lyndrix.Core.Data;
using Lyndrix.IntegrationTests.Support;

namespace Lyndrix.IntegrationTests.Data;

/// <summary>The repository contract on a real MariaDB server (a fresh database and account per test), plus MariaDB-only migration cases.</summary>
[TestFixture]
public sealed class MariaDbRepositoryTests : RepositoryContractTests
{
    private MariaDbServer _server = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _server = await MariaDbServer.SharedAsync();

    internal override async Task<DatabaseUnderTest> CreateDatabaseAsync()
    {
        await _server.EnsureRunningAsync();
        var database = await _server.CreateDatabaseAsync("repo");
        const string user = "repo_user";
        var password = "Repo-" + Guid.NewGuid().ToString("N")[..12] + "@:/;'\"";
        await _server.CreateUserAsync(user, password, database);
        return new DatabaseUnderTest(new DatabaseSettings
        {
            Host = MariaDbServer.Host, Port = _server.Port, User = user, Password = password, Name = database,
            SslMode = DatabaseSslMode.Preferred, SqlitePath = "",
        }, password);
    }

    internal override Task DropDatabaseAsync(DatabaseUnderTest database) => _server.ExecuteAsAdminAsync($"DROP DATABASE IF EXISTS `{database.Settings.Name}`");

    [Test]
    public async Task Without_undo_statements_a_partly_applied_migration_says_so_and_resumes_where_it_stopped()
    {
        var broken = SchemaMigration.Portable(1, "two tables",
            "CREATE TABLE `part_x` (`id` INTEGER NOT NULL PRIMARY KEY)",
            "CREATE TABLE `part_y` (`id` INTEGER NOT NULL PRIMARY KEY, `v` NO_SUCH_TYPE_X)");
        var ex = Assert.ThrowsAsync<MigrationFailedException>(() => Migrator.MigrateAsync("lyndrix.plugin.p", [broken], CancellationToken.None));
        var recorded = await Migrator.ListAppliedAsync("lyndrix.plugin.p", CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(ex!.SchemaRestored, Is.False);
            Assert.That(ex.Message, Does.Contain("statement 2 of 2").And.Contain("Statement(s) 1-1 of 2 stay applied").And.Contain("resumes with statement 2"));
            Assert.That(await TableExistsAsync("part_x"), Is.True);
            Assert.That(recorded.Single().StepsApplied, Is.EqualTo(1));
            Assert.That(recorded.Single().IsComplete, Is.False);
        });

        var fixedMigration = SchemaMigration.Portable(1, "two tables",
            "CREATE TABLE `part_x` (`id` INTEGER NOT NULL PRIMARY KEY)",
            "CREATE TABLE `part_y` (`id` INTEGER NOT NULL PRIMARY KEY, `v` INTEGER)");
        Assert.That(await Migrator.MigrateAsync("lyndrix.plugin.p", [fixedMigration], CancellationToken.None), Is.EqualTo(new[] { 1 }),
            "the first statement is not run again (it would fail: the table exists)");
        Assert.That((await Migrator.ListAppliedAsync("lyndrix.plugin.p", CancellationToken.None)).Single().IsComplete, Is.True);
    }

    [Test]
    public async Task Core_tables_use_InnoDB_and_a_binary_utf8mb4_collation()
    {
        await using var connection = await Source.OpenAsync(CancellationToken.None);
        var tables = (await connection.QueryAsync<(string Name, string Engine, string Collation)>(
            "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")).ToArray();
        Assert.That(tables.Select(t => t.Name), Is.SupersetOf(new[] { "plugin_states", "users", "groups", "user_groups", "sessions", "schema_migrations" }));
        Assert.That(tables.Select(t => (t.Engine, t.Collation)).Distinct(), Is.EqualTo(new[] { ("InnoDB", "utf8mb4_bin") }));
    }
}
