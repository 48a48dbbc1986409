using System.Text.Json.Nodes;

namespace Lyndrix.Core.Tests.Secrets.Vault;

/// <summary>What the double answered, kept after the response is disposed.</summary>
internal sealed record RawReply(int Status, string Body, string? CacheControl, string? ContentType, Uri? Location, string? RetryAfter)
{
    public JsonNode? Json => Body.Length == 0 ? null : JsonNode.Parse(Body);

    public JsonObject Object => Json as JsonObject ?? throw new AssertionException($"expected a JSON object, got '{Body}'");

    public JsonNode? Data => Object["data"];

    public string[] Errors => (Object["errors"] as JsonArray)?.Select(e => e!.ToString()).ToArray() ?? throw new AssertionException($"no errors in '{Body}'");

    public string[] Warnings => (Object["warnings"] as JsonArray)?.Select(e => e!.ToString()).ToArray() ?? [];
}
