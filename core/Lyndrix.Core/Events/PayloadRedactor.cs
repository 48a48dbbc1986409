using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Events;

/// <summary>The one place that decides how a payload may appear in a log.</summary>
internal static class PayloadRedactor
{
    public const string Redacted = "[REDACTED]";

    private static readonly HashSet<string> WholePayloadTopics = new(StringComparer.Ordinal)
    {
        CoreTopics.VaultInitRequested, CoreTopics.VaultUnsealRequested,
    };

    private static readonly HashSet<string> SensitiveNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "key", "token", "password", "passwd", "pwd", "auth", "private_key", "passphrase", "api_key", "apikey",
        "client_secret", "credential", "credentials", "master_key", "root_token", "unseal_keys", "bind_password",
    };

    private static readonly string[] SensitiveSuffixes = ["_token", "_password", "_secret", "_key", "_keys"];

    /// <summary>Whether a payload key's value must never be logged.</summary>
    public static bool IsSensitiveKey(string name) =>
        SensitiveNames.Contains(name)
        || name.StartsWith("secret", StringComparison.OrdinalIgnoreCase)
        || SensitiveSuffixes.Any(s => name.EndsWith(s, StringComparison.OrdinalIgnoreCase));

    /// <summary>The loggable form of an event's payload.</summary>
    public static string Describe(string topic, EventPayload payload) =>
        WholePayloadTopics.Contains(topic) ? Redacted : payload.ToJson(IsSensitiveKey);
}
