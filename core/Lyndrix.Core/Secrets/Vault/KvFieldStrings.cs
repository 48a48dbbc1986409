using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>The fields of a KV v2 secret as the stores speak them, strings: a JSON string is itself, JSON null is empty, any
/// other value (another tool may write numbers, booleans, objects or arrays) is its compact JSON text, written exactly as
/// <c>JsonNode.ToJsonString()</c> writes it. Read straight from the parsed answer, without a node tree.</summary>
internal static class KvFieldStrings
{
    /// <exception cref="ArgumentException">The object names a field twice.</exception>
    public static Dictionary<string, string> Read(JsonElement fields)
    {
        var strings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var field in fields.EnumerateObject())
        {
            var value = field.Value;
            strings.Add(field.Name, value.ValueKind switch
            {
                JsonValueKind.String => value.GetString()!,
                JsonValueKind.Null => "",
                _ => CompactJson(value),
            });
        }

        return strings;
    }

    private static string CompactJson(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            value.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
