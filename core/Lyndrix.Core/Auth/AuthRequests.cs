using System.Text.Json.Serialization;

namespace Lyndrix.Core.Auth;

/// <summary>Body of <c>POST /api/auth/login</c>.</summary>
internal sealed record LoginRequest(
    [property: JsonPropertyName("username")] string? Username,
    [property: JsonPropertyName("password")] string? Password,
    [property: JsonPropertyName("label")] string? Label,
    [property: JsonPropertyName("session")] string? Session = null);

/// <summary>Body of <c>POST /api/auth/password</c>.</summary>
internal sealed record PasswordChangeRequest(
    [property: JsonPropertyName("current_password")] string? CurrentPassword,
    [property: JsonPropertyName("new_password")] string? NewPassword);

/// <summary>Body of <c>POST /api/auth/token-exchange</c>.</summary>
internal sealed record TokenExchangeRequest([property: JsonPropertyName("code")] string? Code);
