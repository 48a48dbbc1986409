using System.Text.Json.Serialization;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>The latest version of one secret. <see cref="Ciphertext"/> is bound to the path and version (associated data),
/// so it cannot be moved to another path or replayed as another version.</summary>
internal sealed record EmbeddedSecretEntry(
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("created_time")] DateTimeOffset CreatedTime,
    [property: JsonPropertyName("updated_time")] DateTimeOffset UpdatedTime,
    [property: JsonPropertyName("ciphertext")] string Ciphertext);
