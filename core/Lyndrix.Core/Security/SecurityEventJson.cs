using System.Buffers;
using System.Text.Json;

namespace Lyndrix.Core.Security;

/// <summary>The one JSON form of a stream event, shared by the SSE stream and the long-poll endpoint:
/// <c>{id, topic, source, at, replayed, payload}</c>; a payload that is withheld as a whole is the string <c>"[REDACTED]"</c>.</summary>
internal static class SecurityEventJson
{
    public static void Write(Utf8JsonWriter json, SecurityEvent e)
    {
        json.WriteStartObject();
        json.WriteNumber("id", e.Id);
        json.WriteString("topic", e.Topic);
        json.WriteString("source", e.Source);
        json.WriteString("at", e.At);
        json.WriteBoolean("replayed", e.Replayed);
        json.WritePropertyName("payload");
        if (e.PayloadJson.StartsWith('{'))
        {
            json.WriteRawValue(e.PayloadJson, skipInputValidation: true);
        }
        else
        {
            json.WriteStringValue(e.PayloadJson);
        }

        json.WriteEndObject();
    }

    public static byte[] ToUtf8(SecurityEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            Write(json, e);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
