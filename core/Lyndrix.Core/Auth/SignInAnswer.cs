using System.Text.Json.Serialization;
using Lyndrix.Core.Data;

namespace Lyndrix.Core.Auth;

/// <summary>What a successful sign-in answers: a bearer token, or for a browser session (<see cref="BrowserSession"/>) no token
/// (it is in the HttpOnly cookie) but the CSRF token its page sends with state changes.</summary>
internal sealed record SignInAnswer
{
    [JsonPropertyName("token")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Token { get; init; }

    [JsonPropertyName("token_type")] public required string TokenType { get; init; }

    [JsonPropertyName("csrf_token")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CsrfToken { get; init; }

    [JsonPropertyName("expires_at")] public required DateTimeOffset ExpiresAt { get; init; }
    [JsonPropertyName("session_id")] public required string SessionId { get; init; }
    [JsonPropertyName("username")] public required string Username { get; init; }
    [JsonPropertyName("display_name")] public required string DisplayName { get; init; }
    [JsonPropertyName("roles")] public required IReadOnlyList<string> Roles { get; init; }
    [JsonPropertyName("is_admin")] public required bool IsAdmin { get; init; }
    [JsonPropertyName("provider")] public required string Provider { get; init; }

    public static SignInAnswer For(UserRecord user, SessionRecord session, string provider, string token, bool cookie) => new()
    {
        Token = cookie ? null : token,
        TokenType = cookie ? "Cookie" : "Bearer",
        CsrfToken = cookie ? BrowserSession.CsrfTokenFor(token) : null,
        ExpiresAt = session.ExpiresAt,
        SessionId = session.Id,
        Username = user.Username,
        DisplayName = user.FullName ?? user.Username,
        Roles = user.Roles,
        IsAdmin = user.IsAdmin,
        Provider = provider,
    };
}
