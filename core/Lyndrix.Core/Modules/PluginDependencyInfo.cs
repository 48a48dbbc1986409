using System.Text.Json.Serialization;

namespace Lyndrix.Core.Modules;

/// <summary>One declared dependency in a <see cref="PluginInfo"/>.</summary>
internal sealed record PluginDependencyInfo(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("version")] string Version);
