using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary>Lenient field reads from request bodies, the way Vault's field framework coerces them.</summary>
internal static class JsonFields
{
    public static JsonNode? Get(JsonObject? body, string name)
    {
        if (body is null)
        {
            return null;
        }

        // The Go structs behind a few endpoints have no JSON tags, so their keys match case-insensitively.
        foreach (var (key, value) in body)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    public static bool Has(JsonObject? body, string name) => body is not null && body.Any(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase));

    public static string? String(JsonObject? body, string name) => Get(body, name) switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        var other => other.ToJsonString(),
    };

    public static bool? Bool(JsonObject? body, string name) => Get(body, name) switch
    {
        null => null,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String && bool.TryParse(v.GetValue<string>(), out var b) => b,
        _ => throw new FormatException($"cannot parse '{name}' as bool"),
    };

    /// <summary>An integer given as a JSON number or a numeric string (Go's weak decoding).</summary>
    public static long? Int(JsonObject? body, string name) => Int(Get(body, name), name);

    public static long? Int(JsonNode? node, string name)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                var d = v.GetValue<double>();
                if (d != Math.Floor(d))
                {
                    throw new FormatException($"cannot parse '{name}' as int");
                }

                return (long)d;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String
                                  && long.TryParse(v.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed):
                return parsed;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length == 0:
                return 0;
            default:
                throw new FormatException($"cannot parse '{name}' as int");
        }
    }

    /// <summary>A list given as a JSON array or a comma-separated string.</summary>
    public static List<string>? StringList(JsonObject? body, string name) => Get(body, name) switch
    {
        null => null,
        JsonArray a => a.Select(e => e?.ToString() ?? "").Where(s => s.Length > 0).ToList(),
        var other => other.ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
    };
}
