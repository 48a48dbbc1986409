using System.Text.Json.Serialization;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>The format 1 embedded store file (<c>embedded_secrets.json</c>): secret paths in clear, each secret's fields AES-GCM
/// encrypted under the data key. Read only to migrate it.</summary>
internal sealed class EmbeddedStoreDocument
{
    public const string CurrentFormat = "lyndrix-embedded-secrets";
    public const int CurrentFormatVersion = 1;

    [JsonPropertyName("format")] public string Format { get; init; } = CurrentFormat;

    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>A constant encrypted under the data key, so an unseal can tell a wrong key from a right one before any secret is read.</summary>
    [JsonPropertyName("key_check")] public required string KeyCheck { get; init; }

    [JsonPropertyName("secrets")] public Dictionary<string, EmbeddedSecretEntry> Secrets { get; init; } = new(StringComparer.Ordinal);
}
