using System.Text.Json.Nodes;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>One secrets engine mount, from <c>sys/mounts</c>, <c>sys/mounts/&lt;path&gt;</c> or <c>sys/internal/ui/mounts/&lt;path&gt;</c>.</summary>
internal sealed record VaultMountInfo(string Type, string? KvVersionOption, string Description, string? Path)
{
    /// <summary>"1" or "2" for KV mounts (a KV mount without options is version 1), null for other engines.</summary>
    public string? KvVersion => Type == "kv" ? string.IsNullOrEmpty(KvVersionOption) ? "1" : KvVersionOption : null;

    public bool IsKvV2 => KvVersion == "2";

    public static VaultMountInfo From(JsonObject json) => new(
        json["type"]?.ToString() ?? "",
        (json["options"] as JsonObject)?["version"]?.ToString(),
        json["description"]?.ToString() ?? "",
        json["path"]?.ToString());
}
