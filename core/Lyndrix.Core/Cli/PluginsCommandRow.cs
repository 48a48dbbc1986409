using System.Text.Json.Serialization;

namespace Lyndrix.Core.Cli;

/// <summary>One line of <c>lyndrix plugins list</c>.</summary>
internal sealed record PluginsCommandRow(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("origin")] string Origin,
    [property: JsonPropertyName("note")] string Note);
