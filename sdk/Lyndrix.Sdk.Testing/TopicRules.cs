namespace Lyndrix.Sdk.Testing;

/// <summary>The host's topic syntax: <c>domain:event</c>, lower-case letters, digits, <c>_ . -</c>.</summary>
internal static class TopicRules
{
    /// <summary>The host's own rule: <c>core/Lyndrix.Core/Events/TopicName.cs</c> is compiled into this package too, so
    /// a plugin's tests reject exactly the topics the host rejects.</summary>
    public static void Validate(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        Lyndrix.Core.Events.TopicName.Validate(topic);
    }

    public static bool IsValidSecretKey(string key) =>
        key.Length is > 0 and <= 128 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    public static bool IsValidProviderId(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 64 && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');
}
