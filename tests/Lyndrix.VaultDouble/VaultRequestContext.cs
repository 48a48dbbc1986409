using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary>A request after the HTTP layer: operation, path below <c>/v1/</c>, query, JSON body and the resolved token.</summary>
internal sealed class VaultRequestContext
{
    public required VaultOperation Operation { get; set; }

    /// <summary>Path below <c>/v1/</c>; list requests always end in <c>/</c>.</summary>
    public required string Path { get; init; }

    public required IReadOnlyDictionary<string, string> Query { get; init; }

    public JsonObject? Body { get; init; }

    public VaultToken? Token { get; set; }

    /// <summary>The token as sent, for the few handlers that check it themselves (the UI mount probe).</summary>
    public string? RawToken { get; init; }

    public bool IsHead { get; init; }

    public string? QueryValue(string name) => Query.TryGetValue(name, out var v) ? v : null;
}
