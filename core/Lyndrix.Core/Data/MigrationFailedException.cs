namespace Lyndrix.Core.Data;

/// <summary>A migration failed; the message names it, the statement, the database error and the state the schema was left in.</summary>
internal sealed class MigrationFailedException(string owner, int version, string migrationName, bool schemaRestored, string message)
    : Exception(message)
{
    public string Owner { get; } = owner;

    public int Version { get; } = version;

    public string MigrationName { get; } = migrationName;

    /// <summary>Whether the schema is as it was before the migration started.</summary>
    public bool SchemaRestored { get; } = schemaRestored;
}
