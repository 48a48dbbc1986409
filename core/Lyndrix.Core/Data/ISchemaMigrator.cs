namespace Lyndrix.Core.Data;

/// <summary>Applies versioned migrations per owner: the core's tables, and tables a plugin owns through its own migrations.</summary>
internal interface ISchemaMigrator
{
    /// <summary>
    /// Applies the migrations of <paramref name="owner"/> that are not recorded yet, in version order, and returns the versions it applied.
    /// Running it again applies nothing. A failing migration throws <see cref="MigrationFailedException"/> naming it; on SQLite the schema
    /// is as it was, on MariaDB too unless the migration has several steps without undo statements (the exception says which case it is).
    /// Invalid input (owner id, duplicate or unordered versions, empty steps) throws <see cref="ArgumentException"/> before anything runs.
    /// </summary>
    Task<IReadOnlyList<int>> MigrateAsync(string owner, IReadOnlyList<SchemaMigration> migrations, CancellationToken cancellationToken);

    /// <summary>The migrations recorded for an owner, complete or (MariaDB only) partially applied.</summary>
    Task<IReadOnlyList<AppliedMigration>> ListAppliedAsync(string owner, CancellationToken cancellationToken);
}
