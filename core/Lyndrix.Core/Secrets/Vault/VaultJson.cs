using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>JSON conventions of the Vault API: snake_case names, unknown fields ignored, numbers sometimes sent as strings.</summary>
internal static class VaultJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        PropertyNameCaseInsensitive = true,
    };

    /// <summary>Deserializes a node; a missing or malformed node is a protocol error worth a clear message.</summary>
    public static T Read<T>(JsonNode? node, string what)
    {
        try
        {
            return node is null ? throw new JsonException("missing") : node.Deserialize<T>(Options) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Vault's answer to {what} is not in the expected shape ({e.Message}). Is VAULT_URL pointing at Vault?", e);
        }
    }

    /// <summary>The same from a parsed element, read straight from its UTF-8 text (no node tree, no re-serialization).
    /// A missing element or JSON <c>null</c> counts as missing, as for a node.</summary>
    public static T Read<T>(JsonElement? element, string what)
    {
        try
        {
            return element is not { ValueKind: not JsonValueKind.Null } present
                ? throw new JsonException("missing")
                : present.Deserialize<T>(Options) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Vault's answer to {what} is not in the expected shape ({e.Message}). Is VAULT_URL pointing at Vault?", e);
        }
    }

    /// <summary>Vault's RFC 3339 timestamps carry nanoseconds; .NET keeps 100 ns ticks, so extra digits are dropped.</summary>
    public static DateTimeOffset? ParseTime(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsDigit(text[end]))
            {
                end++;
            }

            var digits = text[(dot + 1)..end];
            text = text[..(dot + 1)] + (digits.Length > 7 ? digits[..7] : digits) + text[end..];
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed) ? parsed : null;
    }

    public static JsonArray Array(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
