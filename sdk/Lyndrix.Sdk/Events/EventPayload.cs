using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Lyndrix.Sdk.Events;

/// <summary>
/// An immutable event payload. Values are restricted to types every load context shares:
/// <see langword="null"/>, <see cref="string"/>, <see cref="bool"/>, <see cref="long"/>, <see cref="double"/>,
/// nested <see cref="EventPayload"/> and read-only lists of those. No plugin type can cross the boundary.
/// </summary>
public sealed class EventPayload : IReadOnlyDictionary<string, object?>
{
    private readonly KeyValuePair<string, object?>[] _items;

    private EventPayload(KeyValuePair<string, object?>[] items) => _items = items;

    /// <summary>The empty payload.</summary>
    public static EventPayload Empty { get; } = new([]);

    /// <summary>Creates a payload from key/value pairs; later duplicates replace earlier ones.</summary>
    /// <param name="items">The pairs.</param>
    /// <returns>The payload.</returns>
    /// <exception cref="ArgumentException">A value has a type that cannot cross the plugin boundary.</exception>
    public static EventPayload Create(params (string Key, object? Value)[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return From(items.Select(i => new KeyValuePair<string, object?>(i.Key, i.Value)));
    }

    /// <summary>Creates a payload from a dictionary or any sequence of pairs.</summary>
    /// <param name="items">The pairs.</param>
    /// <returns>The payload.</returns>
    /// <exception cref="ArgumentException">A value has a type that cannot cross the plugin boundary.</exception>
    public static EventPayload From(IEnumerable<KeyValuePair<string, object?>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var list = new List<KeyValuePair<string, object?>>();
        foreach (var (key, value) in items)
        {
            ArgumentException.ThrowIfNullOrEmpty(key);
            var normalized = Normalize(value, key);
            var index = list.FindIndex(p => p.Key == key);
            if (index >= 0)
            {
                list[index] = new(key, normalized);
            }
            else
            {
                list.Add(new(key, normalized));
            }
        }

        return list.Count == 0 ? Empty : new EventPayload([.. list]);
    }

    private static object? Normalize(object? value, string key) => value switch
    {
        null => null,
        string or bool or long or double or EventPayload => value,
        int or short or byte or sbyte or ushort or uint => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        float f => (double)f,
        decimal d => (double)d,
        Enum e => e.ToString(),
        IReadOnlyDictionary<string, object?> dict => From(dict),
        IDictionary<string, object?> dict => From(dict),
        IEnumerable<KeyValuePair<string, string?>> pairs => From(pairs.Select(p => new KeyValuePair<string, object?>(p.Key, p.Value))),
        IEnumerable sequence => Array.AsReadOnly(sequence.Cast<object?>().Select(v => Normalize(v, key)).ToArray()),
        _ => throw new ArgumentException(
            $"Payload value '{key}' has type {value.GetType().FullName}, which cannot cross the plugin boundary. " +
            "Use strings, booleans, numbers, nested payloads or lists of those.", nameof(value)),
    };

    /// <inheritdoc/>
    public object? this[string key] => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"Payload has no key '{key}'.");

    /// <inheritdoc/>
    public IEnumerable<string> Keys => _items.Select(i => i.Key);

    /// <inheritdoc/>
    public IEnumerable<object?> Values => _items.Select(i => i.Value);

    /// <inheritdoc/>
    public int Count => _items.Length;

    /// <inheritdoc/>
    public bool ContainsKey(string key) => TryGetValue(key, out _);

    /// <inheritdoc/>
    public bool TryGetValue(string key, out object? value)
    {
        foreach (var item in _items)
        {
            if (item.Key == key)
            {
                value = item.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    /// <summary>Reads a string value.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value, or <see langword="null"/> when absent or not a string.</returns>
    public string? GetString(string key) => TryGetValue(key, out var v) ? v as string : null;

    /// <summary>Reads a boolean value.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value, or <see langword="null"/> when absent or not a boolean.</returns>
    public bool? GetBoolean(string key) => TryGetValue(key, out var v) && v is bool b ? b : null;

    /// <summary>Reads an integer value.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value, or <see langword="null"/> when absent or not an integer.</returns>
    public long? GetInt64(string key) => TryGetValue(key, out var v) && v is long l ? l : null;

    /// <summary>Returns a copy with one key set.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>The new payload.</returns>
    public EventPayload With(string key, object? value) => From(_items.Append(new(key, value)));

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Serializes the payload as JSON, replacing the value of every key <paramref name="mask"/> selects.</summary>
    /// <param name="mask">Chooses keys whose values are replaced by <c>"***"</c>, at any depth; <see langword="null"/> masks nothing.</param>
    /// <returns>The JSON text.</returns>
    public string ToJson(Func<string, bool>? mask = null)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            Write(writer, this, mask);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <inheritdoc/>
    public override string ToString() => ToJson();

    private static void Write(Utf8JsonWriter writer, object? value, Func<string, bool>? mask)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case long l: writer.WriteNumberValue(l); break;
            case double d: writer.WriteNumberValue(d); break;
            case EventPayload p:
                writer.WriteStartObject();
                foreach (var (k, v) in p._items)
                {
                    writer.WritePropertyName(k);
                    if (mask is not null && v is not null && mask(k))
                    {
                        writer.WriteStringValue("***");
                    }
                    else
                    {
                        Write(writer, v, mask);
                    }
                }

                writer.WriteEndObject();
                break;
            case IEnumerable<object?> list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    Write(writer, item, mask);
                }

                writer.WriteEndArray();
                break;
            default: writer.WriteStringValue(value.ToString()); break;
        }
    }
}
