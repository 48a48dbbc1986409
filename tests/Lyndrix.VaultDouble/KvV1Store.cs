using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary>The state of a KV version 1 mount: unversioned maps by path.</summary>
internal sealed class KvV1Store
{
    public Dictionary<string, JsonObject> Entries { get; } = new(StringComparer.Ordinal);
}
