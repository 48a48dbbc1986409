using System.Text.Json;

namespace Lyndrix.Plugins.Oidc;

/// <summary>
/// The user's claims from the two sources OpenID Connect has: the userinfo response (when the provider has a userinfo endpoint)
/// and the validated ID token. Claim by claim, userinfo wins and the ID token fills in what userinfo lacks: providers that follow
/// Core §5.4 serve profile, e-mail and group claims only at userinfo, and userinfo is the fresher of the two.
/// </summary>
internal sealed class OidcClaims(JsonElement idToken, JsonElement? userInfo)
{
    public string? String(string name) =>
        Find(name) is { ValueKind: JsonValueKind.String } v && !string.IsNullOrWhiteSpace(v.GetString()) ? v.GetString() : null;

    /// <summary>A boolean claim; also the string forms "true"/"false" that some providers send.</summary>
    public bool Bool(string name) => Find(name) switch
    {
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.String } v => string.Equals(v.GetString(), "true", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>The string values of a claim that is a string or an array of strings; <paramref name="path"/> may name a nested claim
    /// with dots (<c>realm_access.roles</c>).</summary>
    public IReadOnlyList<string> Values(string path) => Find(path) switch
    {
        { ValueKind: JsonValueKind.String } v => [v.GetString()!],
        { ValueKind: JsonValueKind.Array } a => a.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToArray(),
        _ => [],
    };

    private JsonElement? Find(string path) => (userInfo is { } u ? Walk(u, path) : null) ?? Walk(idToken, path);

    private static JsonElement? Walk(JsonElement root, string path)
    {
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty(path, out var direct))
        {
            return direct.ValueKind == JsonValueKind.Null ? null : direct;
        }

        var current = root;
        foreach (var segment in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(segment, out current))
            {
                return null;
            }
        }

        return current.ValueKind == JsonValueKind.Null ? null : current;
    }
}
