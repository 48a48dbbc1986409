using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Lyndrix.Core.Data;

internal sealed class SqliteDialect : SqlDialect
{
    public static SqliteDialect Instance { get; } = new();

    private const int SqliteConstraint = 19;
    private const int SqliteConstraintPrimaryKey = 1555;
    private const int SqliteConstraintUnique = 2067;

    public override SqlDialectKind Kind => SqlDialectKind.Sqlite;

    public override string Name => "sqlite";

    public override bool TransactionalDdl => true;

    public override string CreateMigrationTableSql =>
        "CREATE TABLE IF NOT EXISTS `schema_migrations` (" +
        "`owner` TEXT NOT NULL, `version` INTEGER NOT NULL, `name` TEXT NOT NULL, " +
        "`steps_applied` INTEGER NOT NULL, `steps_total` INTEGER NOT NULL, `applied_at` INTEGER NOT NULL, " +
        "PRIMARY KEY (`owner`, `version`))";

    public override string UpsertMigrationSql =>
        "INSERT INTO `schema_migrations` (`owner`, `version`, `name`, `steps_applied`, `steps_total`, `applied_at`) " +
        "VALUES (@Owner, @Version, @Name, @StepsApplied, @StepsTotal, @AppliedAt) " +
        "ON CONFLICT (`owner`, `version`) DO UPDATE SET `name` = excluded.`name`, `steps_applied` = excluded.`steps_applied`, " +
        "`steps_total` = excluded.`steps_total`, `applied_at` = excluded.`applied_at`";

    public override string UpsertPluginStateSql =>
        "INSERT INTO `plugin_states` (`module_id`, `is_active`, `installed_version`, `updated_at`) " +
        "VALUES (@ModuleId, @IsActive, @InstalledVersion, @UpdatedAt) " +
        "ON CONFLICT (`module_id`) DO UPDATE SET `is_active` = excluded.`is_active`, " +
        "`installed_version` = excluded.`installed_version`, `updated_at` = excluded.`updated_at`";

    public override string InsertGroupIfMissingSql =>
        "INSERT OR IGNORE INTO `groups` (`name`, `description`, `created_at`) VALUES (@Name, NULL, @CreatedAt)";

    public override bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: SqliteConstraint, SqliteExtendedErrorCode: SqliteConstraintPrimaryKey or SqliteConstraintUnique };

    // Each SQLite migration runs in a BEGIN IMMEDIATE transaction, which already excludes other writers.
    public override Task<IAsyncDisposable> LockMigrationsAsync(DbConnection connection, TimeSpan timeout, CancellationToken cancellationToken) =>
        Task.FromResult<IAsyncDisposable>(NoLock.Instance);

    private sealed class NoLock : IAsyncDisposable
    {
        public static NoLock Instance { get; } = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
