using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary>Vault's duration fields: a number of seconds, or a Go duration string such as <c>"20m"</c>, <c>"1h30m"</c>, <c>"3h25m19s"</c>.</summary>
internal static class GoDuration
{
    /// <summary>Parses a JSON duration value; null when absent. Throws <see cref="FormatException"/> on garbage.</summary>
    public static TimeSpan? Parse(JsonNode? node)
    {
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number)
        {
            return TimeSpan.FromSeconds(value.GetValue<double>());
        }

        return Parse(node.ToString());
    }

    public static TimeSpan Parse(string text)
    {
        text = text.Trim();
        if (text.Length == 0)
        {
            return TimeSpan.Zero;
        }

        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        var total = TimeSpan.Zero;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            if (start == i)
            {
                throw new FormatException($"time: invalid duration \"{text}\"");
            }

            var number = double.Parse(text[start..i], CultureInfo.InvariantCulture);
            var unitStart = i;
            while (i < text.Length && !char.IsDigit(text[i]))
            {
                i++;
            }

            total += text[unitStart..i] switch
            {
                "d" => TimeSpan.FromDays(number),
                "h" => TimeSpan.FromHours(number),
                "m" => TimeSpan.FromMinutes(number),
                "s" => TimeSpan.FromSeconds(number),
                "ms" => TimeSpan.FromMilliseconds(number),
                _ => throw new FormatException($"time: unknown unit \"{text[unitStart..i]}\" in duration \"{text}\""),
            };
        }

        return total;
    }

    /// <summary>Go's <c>time.Duration.String()</c> for whole seconds: <c>0s</c>, <c>45s</c>, <c>20m0s</c>, <c>1h0m0s</c>.</summary>
    public static string Format(TimeSpan duration)
    {
        var seconds = (long)duration.TotalSeconds;
        if (seconds == 0)
        {
            return "0s";
        }

        var h = seconds / 3600;
        var m = seconds % 3600 / 60;
        var s = seconds % 60;
        return h > 0 ? $"{h}h{m}m{s}s" : m > 0 ? $"{m}m{s}s" : $"{s}s";
    }
}
