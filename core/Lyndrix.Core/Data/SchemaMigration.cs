namespace Lyndrix.Core.Data;

/// <summary>
/// A numbered schema change with SQL for each dialect. Versions of one owner (the core or a module id) are applied in
/// ascending order, once, and recorded in <c>schema_migrations</c>. Published migrations must not change: add a new one.
/// </summary>
internal sealed record SchemaMigration(int Version, string Name, IReadOnlyList<MigrationStep> MariaDb, IReadOnlyList<MigrationStep> Sqlite)
{
    /// <summary>A migration whose SQL is the same for both dialects.</summary>
    public static SchemaMigration Portable(int version, string name, params MigrationStep[] steps) => new(version, name, steps, steps);

    public IReadOnlyList<MigrationStep> StepsFor(SqlDialectKind dialect) => dialect == SqlDialectKind.MariaDb ? MariaDb : Sqlite;
}
