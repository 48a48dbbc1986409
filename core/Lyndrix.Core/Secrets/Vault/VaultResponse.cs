using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>A Vault answer: status, parsed JSON (if any), the <c>errors</c> and <c>warnings</c> arrays (already scrubbed of
/// secrets), and the headers retries and redirects need.</summary>
internal sealed class VaultResponse
{
    private VaultResponse(int statusCode, JsonNode? json, IReadOnlyList<string> errors, IReadOnlyList<string> warnings, TimeSpan? retryAfter, Uri? location)
    {
        StatusCode = statusCode;
        Json = json;
        Errors = errors;
        Warnings = warnings;
        RetryAfter = retryAfter;
        Location = location;
    }

    public int StatusCode { get; }

    /// <summary>Null for an empty or non-JSON body (204, the bodiless 404 of a KV patch, a proxy's HTML page).</summary>
    public JsonNode? Json { get; }

    public IReadOnlyList<string> Errors { get; }

    public IReadOnlyList<string> Warnings { get; }

    public TimeSpan? RetryAfter { get; }

    public Uri? Location { get; }

    /// <summary>How many attempts it took (retries included).</summary>
    public int Attempts { get; set; } = 1;

    public bool IsSuccess => StatusCode is >= 200 and < 300;

    public bool IsRedirect => StatusCode is 301 or 302 or 307 or 308;

    /// <summary>503 "Vault is sealed": a state to report, not a fault to retry.</summary>
    public bool IsSealed => StatusCode == 503 && Errors.Any(e => e.Contains("Vault is sealed", StringComparison.OrdinalIgnoreCase));

    public JsonObject? Data => Json?["data"] as JsonObject;

    public bool ErrorsContain(string text) => Errors.Any(e => e.Contains(text, StringComparison.OrdinalIgnoreCase));

    public static VaultResponse From(HttpResponseMessage message, string body, VaultSecretRedactor redactor, DateTimeOffset now)
    {
        JsonNode? json = null;
        if (body.Length > 0)
        {
            try
            {
                json = JsonNode.Parse(body);
            }
            catch (JsonException)
            {
                // A load balancer's HTML error page, for instance: keep the status, ignore the body.
            }
        }

        return new VaultResponse((int)message.StatusCode, json, Strings(json?["errors"], redactor), Strings(json?["warnings"], redactor),
            RetryAfterOf(message.Headers.RetryAfter, now), message.Headers.Location);
    }

    private static string[] Strings(JsonNode? node, VaultSecretRedactor redactor) =>
        node is JsonArray array ? array.Select(e => redactor.Scrub(e?.ToString() ?? "")).ToArray() : [];

    private static TimeSpan? RetryAfterOf(RetryConditionHeaderValue? header, DateTimeOffset now)
    {
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - now;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"VaultResponse({StatusCode}, errors={Errors.Count})");
}
