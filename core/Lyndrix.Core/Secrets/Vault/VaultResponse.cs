using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>A Vault answer: status, parsed JSON (if any), the <c>errors</c> and <c>warnings</c> arrays (already scrubbed of
/// secrets), and the headers retries and redirects need.</summary>
internal sealed class VaultResponse
{
    private readonly JsonElement? _root;
    private JsonNode? _json;
    private bool _jsonBuilt;

    private VaultResponse(int statusCode, JsonElement? root, IReadOnlyList<string> errors, IReadOnlyList<string> warnings, TimeSpan? retryAfter, Uri? location)
    {
        StatusCode = statusCode;
        _root = root;
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

    public bool IsRedirect => StatusCode is 301 or 302 or 307 or 308;

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

    /// <summary>Reads an answer from the raw UTF-8 body (Vault's API speaks JSON, which is UTF-8).</summary>
    public static VaultResponse From(HttpResponseMessage message, byte[] body, VaultSecretRedactor redactor, DateTimeOffset now)
    {
        JsonElement? root = null;
        var utf8 = body.AsSpan();
        if (utf8.StartsWith(Utf8Bom))
        {
            utf8 = utf8[Utf8Bom.Length..];
        }

        if (!utf8.IsEmpty)
        {
            try
            {
                // The serializer rejects trailing content like JsonNode.Parse did, and is cheaper than JsonElement.Parse here.
                root = JsonSerializer.Deserialize<JsonElement>(utf8);
            }
            catch (JsonException)
            {
                // A load balancer's HTML error page, for instance: keep the status, ignore the body.
            }
        }

        var status = (int)message.StatusCode;
        return new VaultResponse(status, root, Strings(root, "errors"u8, redactor), Strings(root, "warnings"u8, redactor),
            RetryAfterOf(message.Headers.RetryAfter, now), message.Headers.Location);
    }

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

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
