using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>Metadata of one KV v2 version, as read, written and patched (reference §4).</summary>
internal sealed class KvVersionMetadata
{
    public int Version { get; init; }

    [JsonPropertyName("created_time")]
    public string? CreatedTimeText { get; init; }

    /// <summary>Empty when not deleted; may be a future time with <c>delete_version_after</c>.</summary>
    [JsonPropertyName("deletion_time")]
    public string? DeletionTimeText { get; init; }

    public bool Destroyed { get; init; }

    public IReadOnlyDictionary<string, string>? CustomMetadata { get; init; }

    /// <summary>
    /// Reads the shape Vault sends (exactly these five fields, in their documented types) without the serializer, because it
    /// runs on every secret read. Returns false for anything else (another field, another casing, a number sent as a string),
    /// which the caller then hands to the serializer, so unusual answers are read or rejected exactly as before.
    /// </summary>
    public static bool TryReadCommonShape(JsonElement element, [NotNullWhen(true)] out KvVersionMetadata? metadata)
    {
        metadata = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var version = 0;
        string? created = null;
        string? deletion = null;
        var destroyed = false;
        Dictionary<string, string>? custom = null;
        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            if (property.NameEquals("version"u8))
            {
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out version))
                {
                    return false;
                }
            }
            else if (property.NameEquals("created_time"u8))
            {
                if (!TryReadText(value, out created))
                {
                    return false;
                }
            }
            else if (property.NameEquals("deletion_time"u8))
            {
                if (!TryReadText(value, out deletion))
                {
                    return false;
                }
            }
            else if (property.NameEquals("destroyed"u8))
            {
                if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    return false;
                }

                destroyed = value.GetBoolean();
            }
            else if (property.NameEquals("custom_metadata"u8))
            {
                if (!TryReadStrings(value, out custom))
                {
                    return false;
                }
            }
            else
            {
                return false;
            }
        }

        metadata = new KvVersionMetadata
        {
            Version = version,
            CreatedTimeText = created,
            DeletionTimeText = deletion,
            Destroyed = destroyed,
            CustomMetadata = custom,
        };
        return true;
    }

    private static bool TryReadText(JsonElement value, out string? text)
    {
        text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return value.ValueKind is JsonValueKind.String or JsonValueKind.Null;
    }

    private static bool TryReadStrings(JsonElement value, out Dictionary<string, string>? strings)
    {
        strings = null;
        if (value.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        strings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String || !strings.TryAdd(entry.Name, entry.Value.GetString()!))
            {
                return false;
            }
        }

        return true;
    }

    [JsonIgnore]
    public DateTimeOffset? CreatedTime => VaultJson.ParseTime(CreatedTimeText);

    [JsonIgnore]
    public DateTimeOffset? DeletionTime => VaultJson.ParseTime(DeletionTimeText);
}
