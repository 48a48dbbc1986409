namespace Lyndrix.Sdk.Testing;

/// <summary>The host's topic syntax: <c>domain:event</c>, lower-case letters, digits, <c>_ . -</c>.</summary>
internal static class TopicRules
{
    public static void Validate(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        var segments = topic.Split(':');
        if (topic.Length > 200 || segments.Length < 2 ||
            segments.Any(s => s.Length == 0 || !s.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '.' or '-')))
        {
            throw new ArgumentException(
                $"'{topic}' is not a valid topic. Topics look like 'domain:event' (lower-case letters, digits, '_', '.', '-').", nameof(topic));
        }
    }

    public static bool IsValidSecretKey(string key) =>
        key.Length is > 0 and <= 128 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    public static bool IsValidProviderId(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 64 && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');
}
