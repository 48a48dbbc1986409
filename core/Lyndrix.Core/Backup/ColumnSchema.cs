using System.Text.Json.Serialization;

namespace Lyndrix.Core.Backup;

/// <param name="Type">Portable type: <c>integer</c>, <c>real</c>, <c>text</c> or <c>blob</c>.</param>
internal sealed record ColumnSchema(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("pk")] bool PrimaryKey)
{
    public static string Portable(string declared)
    {
        var t = declared.ToLowerInvariant();
        return t.Contains("int", StringComparison.Ordinal) || t.Contains("bool", StringComparison.Ordinal) || t == "bit" ? "integer"
            : t.Contains("blob", StringComparison.Ordinal) || t.Contains("binary", StringComparison.Ordinal) ? "blob"
            : t.Contains("real", StringComparison.Ordinal) || t.Contains("floa", StringComparison.Ordinal) || t.Contains("doub", StringComparison.Ordinal) ? "real"
            : "text";
    }
}
