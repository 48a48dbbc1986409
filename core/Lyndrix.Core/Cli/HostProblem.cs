using System.Text.Json;

namespace Lyndrix.Core.Cli;

/// <summary>Reads the host's error bodies (RFC 9457 problem details) for the CLI: every command prints their <c>detail</c>.</summary>
internal static class HostProblem
{
    /// <summary>The problem's <c>detail</c> (else its <c>title</c>); a body that is not a problem is shown shortened.</summary>
    public static string Detail(string body, string? fallback)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var name in (ReadOnlySpan<string>)["detail", "title"])
                {
                    if (doc.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text)
                    {
                        return text;
                    }
                }
            }
        }
        catch (JsonException)
        {
        }

        var trimmed = body.Trim();
        return trimmed.Length == 0 ? fallback ?? "no details" : trimmed.Length > 300 ? trimmed[..300] + "…" : trimmed;
    }
}
