namespace Lyndrix.Core.Data;

/// <summary>One SQL statement of a migration.</summary>
/// <param name="Sql">Exactly one statement. On MariaDB each DDL statement commits on its own, so one statement per step is
/// what makes a step all-or-nothing there (MariaDB's DDL is atomic per statement).</param>
/// <param name="Undo">MariaDB only: a statement that reverses <paramref name="Sql"/>. When a later step of the same migration
/// fails, the undo statements of the steps already applied run in reverse order so the schema is as it was; without them
/// the applied steps stay and the migration resumes after them on the next run. SQLite rolls back instead.</param>
internal sealed record MigrationStep(string Sql, string? Undo = null)
{
    public static implicit operator MigrationStep(string sql) => new(sql);

    public static MigrationStep FromString(string sql) => new(sql);
}
