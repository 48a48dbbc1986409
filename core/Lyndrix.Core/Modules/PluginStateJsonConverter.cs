using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lyndrix.Core.Modules;

/// <summary>Writes and reads <see cref="PluginState"/> as the API spells it (<see cref="PluginStates.Name"/>).</summary>
internal sealed class PluginStateJsonConverter : JsonConverter<PluginState>
{
    public override PluginState Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var name = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return PluginStates.TryParse(name, out var state)
            ? state
            : throw new JsonException($"'{name}' is not a plugin state (one of {string.Join(", ", PluginStates.All.Select(PluginStates.Name))}).");
    }

    public override void Write(Utf8JsonWriter writer, PluginState value, JsonSerializerOptions options) =>
        writer.WriteStringValue(PluginStates.Name(value));
}
