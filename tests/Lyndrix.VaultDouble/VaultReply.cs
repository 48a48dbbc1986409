using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary>One HTTP answer of the double: a status, a JSON body (or none) and extra headers.</summary>
internal sealed class VaultReply
{
    private VaultReply(int status, JsonNode? body)
    {
        Status = status;
        Body = body;
    }

    public int Status { get; }

    /// <summary>Null means "no body at all" (204, HEAD, and the bodiless 404 of a KV patch on a missing key).</summary>
    public JsonNode? Body { get; }

    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static VaultReply Json(int status, JsonNode body) => new(status, body);

    public static VaultReply NoContent() => new(204, null);

    public static VaultReply Empty(int status) => new(status, null);

    /// <summary>The error envelope <c>{"errors":[...]}</c>; no messages gives <c>{"errors":[]}</c>.</summary>
    public static VaultReply Error(int status, params string[] errors) =>
        new(status, new JsonObject { ["errors"] = new JsonArray(errors.Select(e => (JsonNode?)JsonValue.Create(e)).ToArray()) });

    /// <summary>Vault's plain 404: <c>{"errors":[]}</c>.</summary>
    public static VaultReply NotFound() => Error(404);

    public static VaultReply BadRequest(string message) => Error(400, message);

    /// <summary>A logical response in the standard envelope; a response with neither data nor warnings becomes 204.</summary>
    public static VaultReply Logical(VaultEnvelope envelope, int status = 200) =>
        envelope.IsEmpty && status == 200 ? NoContent() : new VaultReply(status, envelope.ToJson());

    public VaultReply WithHeader(string name, string value)
    {
        Headers[name] = value;
        return this;
    }
}
