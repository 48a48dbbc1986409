using System.Globalization;
using System.Text;

namespace Lyndrix.Core.Hosting;

/// <summary>
/// Makes a value that came from a client safe to put in a log line: control characters and the Unicode line and paragraph
/// separators (which some viewers break lines at) are written as <c>\uXXXX</c>, so nobody can forge a log line, and the
/// length is capped so nobody can fill the log with one request.
/// </summary>
internal static class LogValue
{
    public const int DefaultMaxLength = 200;

    public static string Escape(string? value, int maxLength = DefaultMaxLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "(empty)";
        }

        var cut = value.Length > maxLength;
        var span = cut ? value.AsSpan(0, maxLength) : value.AsSpan();
        if (!NeedsEscape(span))
        {
            return cut ? string.Concat(span, "…") : value;
        }

        var builder = new StringBuilder(span.Length + 16);
        foreach (var c in span)
        {
            if (IsUnsafe(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        return cut ? builder.Append('…').ToString() : builder.ToString();
    }

    private static bool NeedsEscape(ReadOnlySpan<char> span)
    {
        foreach (var c in span)
        {
            if (IsUnsafe(c))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>C0/C1 controls and DEL, U+2028/U+2029 (line/paragraph separators), and lone surrogates are not printed as they are.</summary>
    private static bool IsUnsafe(char c) => char.IsControl(c) || c is '\u2028' or '\u2029' || char.IsSurrogate(c);
}
