using System.Text.Json.Nodes;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>One Vault API call: method, path below <c>/v1/</c> (segments already escaped, query included), body and retry rules.</summary>
internal sealed record VaultCall(HttpMethod Method, string Path)
{
    public JsonNode? Body { get; init; }

    /// <summary>Defaults to <c>application/json</c> when there is a body; KV patch needs <c>application/merge-patch+json</c>.</summary>
    public string? ContentType { get; init; }

    public VaultRetryKind Retry { get; init; } = VaultRetryKind.Idempotent;

    /// <summary><c>sys/health</c> answers non-2xx codes on purpose; they are not failures and are never retried.</summary>
    public bool AcceptAnyStatus { get; init; }

    /// <summary>How the call is named in errors and logs: method and path, never a body or header.</summary>
    public string Describe() => $"{Method.Method} {Path}";

    public static VaultCall Get(string path) => new(HttpMethod.Get, path);

    public static VaultCall Put(string path, JsonNode? body, VaultRetryKind retry) => new(HttpMethod.Put, path) { Body = body, Retry = retry };

    public static VaultCall Post(string path, JsonNode? body, VaultRetryKind retry) => new(HttpMethod.Post, path) { Body = body, Retry = retry };

    public static VaultCall Delete(string path) => new(HttpMethod.Delete, path);
}
