using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>A Vault answer: status, parsed JSON (if any), the <c>errors</c> and <c>warnings</c> arrays (already scrubbed of
/// secrets), and the headers retries and redirects need.</summary>
/// <remarks>The parsed body lives in buffers rented from the shared array pool. <see cref="Dispose"/> hands them back; it is
/// optional (an answer left to the garbage collector only costs the pool a buffer) and belongs where an answer is read often
/// and entirely, as on the KV read path. <see cref="Json"/>, <see cref="Data"/> and <see cref="DataElement"/> read the buffers
/// lazily, so none of them may be used, nor anything taken from them kept, after <see cref="Dispose"/>.</remarks>
internal sealed class VaultResponse : IDisposable
{
    private readonly JsonDocument? _document;
    private readonly JsonElement? _root;
    private JsonNode? _json;
    private bool _jsonBuilt;

    private VaultResponse(int statusCode, JsonDocument? document, IReadOnlyList<string> errors, IReadOnlyList<string> warnings, TimeSpan? retryAfter, Uri? location)
    {
        StatusCode = statusCode;
        _document = document;
        _root = document?.RootElement;
        Errors = errors;
        Warnings = warnings;
        RetryAfter = retryAfter;
        Location = location;
    }

    public int StatusCode { get; }

    /// <summary>Null for an empty or non-JSON body (204, the bodiless 404 of a KV patch, a proxy's HTML page). Built on first
    /// use from the parsed body: the hot KV read path works on <see cref="DataElement"/> and never needs the node tree.</summary>
    public JsonNode? Json
    {
        get
        {
            if (!_jsonBuilt)
            {
                _json = _root is { } root ? ToNode(root) : null;
                _jsonBuilt = true;
            }

            return _json;
        }
    }

    public IReadOnlyList<string> Errors { get; }

    public IReadOnlyList<string> Warnings { get; }

    public TimeSpan? RetryAfter { get; }

    public Uri? Location { get; }

    /// <summary>How many attempts it took (retries included).</summary>
    public int Attempts { get; set; } = 1;

    public bool IsSuccess => StatusCode is >= 200 and < 300;

    public bool IsRedirect => IsRedirectStatus(StatusCode);

    /// <summary>503 "Vault is sealed": a state to report, not a fault to retry.</summary>
    public bool IsSealed => StatusCode == 503 && ErrorsContain("Vault is sealed");

    /// <summary>An HA/Raft cluster without an active node yet (the seconds of leader election after an unseal): 500 "local
    /// node not active but active cluster node not found". Transient like a 503, although Vault sends it as a 500.</summary>
    public bool IsLeaderless => StatusCode == 500 && ErrorsContain("active cluster node not found");

    public JsonObject? Data => Json?["data"] as JsonObject;

    /// <summary>The top-level <c>data</c> object read straight from the parsed body, without building a node tree; null when the
    /// body is not a JSON object or has no <c>data</c> object.</summary>
    public JsonElement? DataElement =>
        _root is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty("data"u8, out var data) && data.ValueKind == JsonValueKind.Object
            ? data
            : null;

    public bool ErrorsContain(string text)
    {
        foreach (var error in Errors)
        {
            if (error.Contains(text, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads an answer from the raw UTF-8 body (Vault's API speaks JSON, which is UTF-8). The answer parses
    /// <paramref name="body"/> in place, so the array must not change afterwards.</summary>
    public static VaultResponse From(HttpResponseMessage message, byte[] body, VaultSecretRedactor redactor, DateTimeOffset now)
    {
        JsonDocument? document = null;
        var utf8 = body.AsMemory();
        if (utf8.Span.StartsWith(Utf8Bom))
        {
            utf8 = utf8[Utf8Bom.Length..];
        }

        if (!utf8.IsEmpty)
        {
            try
            {
                // The same rules as the serializer (no comments, no trailing commas or content, depth 64), in one pass over
                // the body without copying it (deserializing a JsonElement reads it twice and copies it).
                document = JsonDocument.Parse(utf8);
            }
            catch (JsonException)
            {
                // A load balancer's HTML error page, for instance: keep the status, ignore the body.
            }
        }

        var status = (int)message.StatusCode;
        var root = document?.RootElement;
        // Only what the status can use is read from the headers: Location for a redirect, Retry-After for a refusal that
        // may be retried (all of them 4xx or 5xx).
        return new VaultResponse(status, document, Strings(root, "errors"u8, redactor), Strings(root, "warnings"u8, redactor),
            status >= 400 ? RetryAfterOf(message.Headers.RetryAfter, now) : null, IsRedirectStatus(status) ? message.Headers.Location : null);
    }

    /// <summary>Returns the parsed body's buffers to the pool.</summary>
    public void Dispose() => _document?.Dispose();

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private static bool IsRedirectStatus(int status) => status is 301 or 302 or 307 or 308;

    // Only builds (and scrubs) a list when the body carries the array: a successful answer has none.
    private static string[] Strings(JsonElement? root, ReadOnlySpan<byte> name, VaultSecretRedactor redactor)
    {
        if (root is not { ValueKind: JsonValueKind.Object } obj || !obj.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var strings = new string[array.GetArrayLength()];
        var i = 0;
        foreach (var element in array.EnumerateArray())
        {
            // As JsonNode.ToString() renders them: a string as itself, null as "", anything else as (indented) JSON text.
            var text = element.ValueKind switch
            {
                JsonValueKind.String => element.GetString() ?? "",
                JsonValueKind.Null => "",
                _ => ToNode(element)?.ToString() ?? "",
            };
            strings[i++] = redactor.Scrub(text);
        }

        return strings;
    }

    private static JsonNode? ToNode(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => JsonObject.Create(element),
        JsonValueKind.Array => JsonArray.Create(element),
        JsonValueKind.Null => null,
        _ => JsonValue.Create(element),
    };

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
