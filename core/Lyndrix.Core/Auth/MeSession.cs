using System.Text.Json.Serialization;

namespace Lyndrix.Core.Auth;

/// <summary>The session part of <see cref="MeAnswer"/>.</summary>
internal sealed record MeSession(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt);
