using System.Data.Common;
using Dapper;
using MySqlConnector;

namespace Lyndrix.Core.Data;

internal sealed class MariaDbDialect : SqlDialect
{
    public static MariaDbDialect Instance { get; } = new();

    /// <summary>Table options of every core table: binary collation so names compare the same way as in SQLite.</summary>
    public const string TableOptions = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

    private const string MigrationLockName = "schema_migrations";

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

    /// <summary>How long a migration lease lasts without renewal (renewed at a third of it while migrations run).</summary>
    public static TimeSpan MigrationLease { get; set; } = TimeSpan.FromSeconds(60);

    public override async Task<IAsyncDisposable> LockMigrationsAsync(DbConnection connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var lease = await MariaDbLeaseLock.AcquireAsync(connection, MigrationLockName, MigrationLease, timeout, TimeProvider.System, cancellationToken)
            .ConfigureAwait(false);
        await RequireCausalReadsAsync(connection, cancellationToken).ConfigureAwait(false);
        return lease;
    }

    /// <summary>On a Galera node, makes this session's reads wait until the node has applied every write the cluster committed
    /// before them (<c>wsrep_sync_wait=1</c>), so the migration records another host just wrote on another node are seen.</summary>
    public static Task RequireCausalReadsAsync(DbConnection connection, CancellationToken cancellationToken) =>
        RequireCausalWaitAsync(connection, CausalWait.Reads, cancellationToken);

    /// <summary>On a Galera node, makes this session's <paramref name="statements"/> wait until the node has applied every write
    /// the cluster committed before them (<c>wsrep_sync_wait</c>). A server without Galera support has no such variable, and
    /// needs none.</summary>
    public static async Task RequireCausalWaitAsync(DbConnection connection, CausalWait statements, CancellationToken cancellationToken)
    {
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("SET SESSION wsrep_sync_wait = @Mask", new { Mask = (int)statements },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.UnknownSystemVariable)
        {
        }
    }
}
