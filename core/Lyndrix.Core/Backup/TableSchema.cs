using System.Text.Json.Serialization;

namespace Lyndrix.Core.Backup;

/// <summary>A table as a backup describes it: its columns with a portable type, and the statements that created it in the
/// source's dialect (used when the target lacks the table and speaks the same dialect).</summary>
internal sealed record TableSchema(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("columns")] IReadOnlyList<ColumnSchema> Columns,
    [property: JsonPropertyName("ddl")] IReadOnlyList<string> Ddl);
