using System.Globalization;

namespace Lyndrix.VaultDouble;

/// <summary>Timestamps as Vault writes them: Go's RFC 3339 with nanoseconds in UTC, trailing zeros of the fraction trimmed.</summary>
internal static class VaultTime
{
    public static string Format(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        var fraction = (utc.Ticks % TimeSpan.TicksPerSecond * 100).ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0');
        var whole = utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        return fraction.Length == 0 ? whole + "Z" : $"{whole}.{fraction}Z";
    }

    public static string Format(DateTimeOffset? time) => time is null ? "" : Format(time.Value);
}
