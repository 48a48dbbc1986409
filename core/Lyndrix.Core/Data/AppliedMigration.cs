namespace Lyndrix.Core.Data;

/// <summary>A row of <c>schema_migrations</c>.</summary>
internal sealed record AppliedMigration(string Owner, int Version, string Name, int StepsApplied, int StepsTotal, DateTimeOffset AppliedAt)
{
    public bool IsComplete => StepsApplied >= StepsTotal;
}
