using System.Text.Json.Serialization;

namespace Lyndrix.Core.Auth;

/// <summary>What <c>GET /api/auth/me</c> answers; <see cref="CsrfToken"/> only to a browser session, whose page needs it again
/// after a reload.</summary>
internal sealed record MeAnswer
{
    [JsonPropertyName("username")] public required string Username { get; init; }
    [JsonPropertyName("display_name")] public required string DisplayName { get; init; }
    [JsonPropertyName("email")] public required string? Email { get; init; }
    [JsonPropertyName("roles")] public required IReadOnlyList<string> Roles { get; init; }
    [JsonPropertyName("is_admin")] public required bool IsAdmin { get; init; }
    [JsonPropertyName("provider")] public required string Provider { get; init; }
    [JsonPropertyName("session")] public required MeSession Session { get; init; }

    [JsonPropertyName("csrf_token")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CsrfToken { get; init; }
}
