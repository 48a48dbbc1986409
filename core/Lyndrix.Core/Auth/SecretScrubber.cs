namespace Lyndrix.Core.Auth;

/// <summary>Describes an exception for a log line without the stack and with a secret removed from every message in the
/// chain, because a provider's exception may quote what it was given.</summary>
internal static class SecretScrubber
{
    public static string Describe(Exception ex, string? secret)
    {
        var parts = new List<string>();
        for (var e = ex; e is not null && parts.Count < 4; e = e.InnerException)
        {
            parts.Add($"{e.GetType().Name}: {Scrub(e.Message, secret)}");
        }

        return string.Join(" <- ", parts);
    }

    public static string Scrub(string text, string? secret) =>
        string.IsNullOrEmpty(secret) || secret.Length < 3 ? text : text.Replace(secret, "***", StringComparison.Ordinal);
}
