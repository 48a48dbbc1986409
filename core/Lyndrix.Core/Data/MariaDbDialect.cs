using System.Data.Common;
using Dapper;
using MySqlConnector;

namespace Lyndrix.Core.Data;

internal sealed class MariaDbDialect : SqlDialect
{
    public static MariaDbDialect Instance { get; } = new();

    /// <summary>Table options of every core table: binary collation so names compare the same way as in SQLite.</summary>
    public const string TableOptions = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

    private const string MigrationLockName = "lyndrix.schema_migrations";

    public override SqlDialectKind Kind => SqlDialectKind.MariaDb;

    public override string Name => "mariadb";

    public override bool TransactionalDdl => false;

    public override string CreateMigrationTableSql =>
        "CREATE TABLE IF NOT EXISTS `schema_migrations` (" +
        "`owner` VARCHAR(190) NOT NULL, `version` INT NOT NULL, `name` VARCHAR(255) NOT NULL, " +
        "`steps_applied` INT NOT NULL, `steps_total` INT NOT NULL, `applied_at` BIGINT NOT NULL, " +
        "PRIMARY KEY (`owner`, `version`)) " + TableOptions;

    public override string UpsertMigrationSql =>
        "INSERT INTO `schema_migrations` (`owner`, `version`, `name`, `steps_applied`, `steps_total`, `applied_at`) " +
        "VALUES (@Owner, @Version, @Name, @StepsApplied, @StepsTotal, @AppliedAt) " +
        "ON DUPLICATE KEY UPDATE `name` = VALUE(`name`), `steps_applied` = VALUE(`steps_applied`), " +
        "`steps_total` = VALUE(`steps_total`), `applied_at` = VALUE(`applied_at`)";

    public override string UpsertPluginStateSql =>
        "INSERT INTO `plugin_states` (`module_id`, `is_active`, `installed_version`, `updated_at`) " +
        "VALUES (@ModuleId, @IsActive, @InstalledVersion, @UpdatedAt) " +
        "ON DUPLICATE KEY UPDATE `is_active` = VALUE(`is_active`), `installed_version` = VALUE(`installed_version`), `updated_at` = VALUE(`updated_at`)";

    public override string InsertGroupIfMissingSql =>
        "INSERT IGNORE INTO `groups` (`name`, `description`, `created_at`) VALUES (@Name, NULL, @CreatedAt)";

    public override bool IsUniqueViolation(Exception exception) =>
        exception is MySqlException { ErrorCode: MySqlErrorCode.DuplicateKeyEntry };

    public override async Task<IAsyncDisposable> LockMigrationsAsync(DbConnection connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // A named lock lives as long as the session; RELEASE_LOCK in the disposer, or the session ending, frees it.
        var got = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT GET_LOCK(@Name, @Seconds)", new { Name = MigrationLockName, Seconds = Math.Max(1, (int)timeout.TotalSeconds) },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (got != 1)
        {
            throw new TimeoutException($"Another process has been migrating the database for more than {timeout.TotalSeconds:0}s; try again when it has finished.");
        }

        return new MigrationLock(connection);
    }

    private sealed class MigrationLock(DbConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await connection.ExecuteAsync("SELECT RELEASE_LOCK(@Name)", new { Name = MigrationLockName }).ConfigureAwait(false);
            }
            catch (DbException)
            {
                // The session is gone, and with it the lock.
            }
        }
    }
}
