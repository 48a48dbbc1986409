using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary>A secrets engine mount as <c>sys/mounts</c> describes it.</summary>
internal sealed class MountEntry
{
    /// <summary>Always ends in <c>/</c>.</summary>
    public required string Path { get; init; }

    public required string Type { get; init; }

    public string Description { get; set; } = "";

    /// <summary>Null for non-KV mounts; <c>{"version":"1"|"2"}</c> for KV.</summary>
    public Dictionary<string, string>? Options { get; set; }

    public string Accessor { get; } = "";

    public string Uuid { get; } = Guid.NewGuid().ToString();

    public long DefaultLeaseTtl { get; set; }

    public long MaxLeaseTtl { get; set; }

    public bool ForceNoCache { get; set; }

    public string? ListingVisibility { get; set; }

    public KvV2Store? KvV2 { get; set; }

    public KvV1Store? KvV1 { get; set; }

    public bool IsKv => Type == "kv";

    public string? KvVersion => IsKv ? Options?.GetValueOrDefault("version") ?? "1" : null;

    public static MountEntry Create(string path, string type, string description, Dictionary<string, string>? options) => new(type)
    {
        Path = path,
        Type = type,
        Description = description,
        Options = options,
    };

    private MountEntry(string type) => Accessor = $"{type}_{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..4])}";

    public JsonObject ToJson()
    {
        var config = new JsonObject
        {
            ["default_lease_ttl"] = DefaultLeaseTtl,
            ["force_no_cache"] = ForceNoCache,
            ["max_lease_ttl"] = MaxLeaseTtl,
        };
        if (ListingVisibility is not null)
        {
            config["listing_visibility"] = ListingVisibility;
        }

        return new JsonObject
        {
            ["accessor"] = Accessor,
            ["config"] = config,
            ["description"] = Description,
            ["external_entropy_access"] = false,
            ["local"] = false,
            ["options"] = Options is null ? null : new JsonObject(Options.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
            ["plugin_version"] = "",
            ["running_plugin_version"] = IsKv ? "v0.20.0+builtin" : "v1.17.5+builtin.vault",
            ["running_sha256"] = "",
            ["seal_wrap"] = false,
            ["type"] = Type,
            ["uuid"] = Uuid,
        };
    }
}
