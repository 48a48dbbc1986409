using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary>The unversioned KV version 1 engine: just enough for a client to meet one by mistake.</summary>
internal sealed class KvV1Backend(MountEntry mount, VaultState state) : ILogicalBackend
{
    private KvV1Store Store => mount.KvV1!;

    public bool? Exists(string relativePath) => Store.Entries.ContainsKey(relativePath);

    public bool RequiresSudo(string relativePath) => false;

    public bool IsUnauthenticated(string relativePath) => false;

    public VaultReply Handle(VaultRequestContext request, string relativePath)
    {
        switch (request.Operation)
        {
            case VaultOperation.Read:
                return Store.Entries.TryGetValue(relativePath, out var entry)
                    ? VaultReply.Logical(state.Envelope("kv", entry.DeepClone()))
                    : VaultReply.NotFound();
            case VaultOperation.Create or VaultOperation.Update:
                if (request.Body is null || request.Body.Count == 0)
                {
                    return VaultReply.BadRequest("missing data fields");
                }

                Store.Entries[relativePath] = (JsonObject)request.Body.DeepClone();
                return VaultReply.NoContent();
            case VaultOperation.Delete:
                Store.Entries.Remove(relativePath);
                return VaultReply.NoContent();
            case VaultOperation.List:
                var keys = Store.Entries.Keys
                    .Where(k => k.StartsWith(relativePath, StringComparison.Ordinal))
                    .Select(k => k[relativePath.Length..])
                    .Select(rest => rest.IndexOf('/', StringComparison.Ordinal) is >= 0 and var i ? rest[..(i + 1)] : rest)
                    .Distinct(StringComparer.Ordinal)
                    .Order(StringComparer.Ordinal)
                    .ToList();
                return keys.Count == 0
                    ? VaultReply.NotFound()
                    : VaultReply.Logical(state.Envelope("kv", new JsonObject { ["keys"] = new JsonArray(keys.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray()) }));
            default:
                return VaultReply.Error(405, "unsupported operation");
        }
    }
}
