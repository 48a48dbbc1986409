using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary>A request as it arrived on the wire, with token values redacted: headers <c>X-Vault-Token</c> and
/// <c>Authorization</c>, and top-level body fields that carry credentials or key shares.</summary>
public sealed class LoggedRequest
{
    public const string Redacted = "[redacted]";

    private static readonly HashSet<string> SecretBodyFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "token", "client_token", "secret_id", "key", "keys", "root_token", "jwt", "password",
    };

    internal LoggedRequest(string server, string method, string path, string query, Dictionary<string, string> headers, string body, string? tokenFingerprint)
    {
        Server = server;
        Method = method;
        Path = path;
        Query = query;
        Headers = headers;
        Body = body;
        TokenFingerprint = tokenFingerprint;
    }

    /// <summary>Name of the double that received it (see <see cref="VaultDoubleOptions.Name"/> and peers).</summary>
    public string Server { get; }

    public string Method { get; }

    /// <summary>The full path, e.g. <c>/v1/lyndrix/data/core/x</c>.</summary>
    public string Path { get; }

    /// <summary>The query string with its <c>?</c>, or empty.</summary>
    public string Query { get; }

    /// <summary>Request headers by name (case-insensitive), token values redacted.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>The body text; credential fields redacted.</summary>
    public string Body { get; }

    /// <summary>Which token was presented, as <see cref="FingerprintOf"/>; null when none was sent.</summary>
    public string? TokenFingerprint { get; }

    /// <summary>The status answered; 0 when the connection was dropped or nothing was written yet.</summary>
    public int StatusCode { get; internal set; }

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    /// <summary>A short, non-reversible name for a token so tests can tell which one was sent without logging it.</summary>
    public static string FingerprintOf(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)))[..12];

    internal static LoggedRequest Capture(string server, Microsoft.AspNetCore.Http.HttpRequest request, byte[] body, string? rawToken)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers)
        {
            var value = values.ToString();
            if (string.Equals(name, "X-Vault-Token", StringComparison.OrdinalIgnoreCase))
            {
                value = Redacted;
            }
            else if (string.Equals(name, "Authorization", StringComparison.OrdinalIgnoreCase))
            {
                var space = value.IndexOf(' ', StringComparison.Ordinal);
                value = space > 0 ? value[..space] + " " + Redacted : Redacted;
            }

            headers[name] = value;
        }

        return new LoggedRequest(server, request.Method, request.Path.Value ?? "/", request.QueryString.Value ?? "", headers,
            RedactBody(body), rawToken is null ? null : FingerprintOf(rawToken));
    }

    private static string RedactBody(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body);
        if (text.Length == 0)
        {
            return text;
        }

        try
        {
            if (JsonNode.Parse(text) is JsonObject obj && obj.Any(p => SecretBodyFields.Contains(p.Key)))
            {
                foreach (var name in obj.Select(p => p.Key).Where(SecretBodyFields.Contains).ToList())
                {
                    obj[name] = Redacted;
                }

                return obj.ToJsonString();
            }
        }
        catch (JsonException)
        {
            // Not JSON: log as received; the double only redacts what it can recognize.
        }

        return text;
    }
}
