using System.Text.Json.Serialization;

namespace Lyndrix.Core.Modules;

/// <summary>The outcome of unloading a plugin's code: whether its load context was collected, and if not, what likely holds it.</summary>
internal sealed record UnloadResult(
    [property: JsonPropertyName("plugin")] PluginInfo Plugin,
    [property: JsonPropertyName("unloaded")] bool Unloaded,
    [property: JsonPropertyName("detail")] string Detail);
