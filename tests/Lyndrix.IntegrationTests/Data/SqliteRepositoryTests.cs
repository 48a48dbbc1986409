using Lyndrix.Core.Data;
using Microsoft.Data.Sqlite;

namespace Lyndrix.IntegrationTests.Data;

/// <summary>The repository contract on the embedded SQLite database (a fresh file per test).</summary>
[TestFixture]
public sealed class SqliteRepositoryTests : RepositoryContractTests
{
    internal override Task<DatabaseUnderTest> CreateDatabaseAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "lyndrix-sqlite-" + Guid.NewGuid().ToString("N")[..10]);
        return Task.FromResult(new DatabaseUnderTest(new DatabaseSettings { SqlitePath = Path.Combine(dir, DatabaseSettings.SqliteFileName) }, null));
    }

    internal override Task DropDatabaseAsync(DatabaseUnderTest database)
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(Path.GetDirectoryName(database.Settings.SqlitePath)!, recursive: true);
        return Task.CompletedTask;
    }
}
