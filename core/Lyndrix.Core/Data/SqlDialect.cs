using System.Data.Common;

namespace Lyndrix.Core.Data;

/// <summary>
/// Everything that differs between MariaDB and SQLite, so the repositories and the migrator above it are written once.
/// Identifiers are quoted with backticks, which both accept (<c>groups</c> is a keyword in MariaDB).
/// </summary>
internal abstract class SqlDialect
{
    public abstract SqlDialectKind Kind { get; }

    /// <summary>Lower-case name for logs and payloads: <c>mariadb</c> or <c>sqlite</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Whether DDL takes part in transactions (SQLite yes; MariaDB commits each DDL statement on its own).</summary>
    public abstract bool TransactionalDdl { get; }

    /// <summary>Creates <c>schema_migrations</c> if missing.</summary>
    public abstract string CreateMigrationTableSql { get; }

    /// <summary>Inserts or updates a row of <c>schema_migrations</c> (@Owner, @Version, @Name, @StepsApplied, @StepsTotal, @AppliedAt).</summary>
    public abstract string UpsertMigrationSql { get; }

    /// <summary>Inserts or updates a row of <c>plugin_states</c> (@ModuleId, @IsActive, @InstalledVersion, @UpdatedAt).</summary>
    public abstract string UpsertPluginStateSql { get; }

    /// <summary>Inserts a group unless one with that name exists (@Name, @CreatedAt).</summary>
    public abstract string InsertGroupIfMissingSql { get; }

    /// <summary>Whether an exception is a unique or primary-key violation.</summary>
    public abstract bool IsUniqueViolation(Exception exception);

    /// <summary>Serialises migrations across processes sharing the database; disposing releases the lock.</summary>
    public abstract Task<IAsyncDisposable> LockMigrationsAsync(DbConnection connection, TimeSpan timeout, CancellationToken cancellationToken);
}
