using System.Text.Json;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>Event payloads to and from JSON for the channel: strings, booleans, whole numbers (long), other numbers
/// (double), nulls, nested payloads and lists, as <see cref="EventPayload"/> allows.</summary>
internal static class WirePayload
{
    public static JsonElement ToJson(EventPayload? payload) => JsonDocument.Parse((payload ?? EventPayload.Empty).ToJson()).RootElement.Clone();

    public static EventPayload FromJson(JsonElement json) =>
        json.ValueKind == JsonValueKind.Object
            ? EventPayload.From(json.EnumerateObject().Select(p => new KeyValuePair<string, object?>(p.Name, Value(p.Value))))
            : EventPayload.Empty;

    private static object? Value(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        // Boxed separately: a conditional of long and double would make every whole number a double.
        JsonValueKind.Number => e.TryGetInt64(out var l) ? (object)l : e.GetDouble(),
        JsonValueKind.Object => FromJson(e),
        JsonValueKind.Array => e.EnumerateArray().Select(Value).ToList(),
        _ => null,
    };
}
