using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary>The standard success envelope of logical paths (reference §0), in Vault's field order.</summary>
internal sealed class VaultEnvelope
{
    public JsonNode? Data { get; init; }

    public JsonObject? Auth { get; init; }

    public List<string> Warnings { get; } = [];

    /// <summary><c>kv</c>, <c>system</c>, <c>token</c>, <c>approle</c>; null leaves the field out (OpenBao, older Vault).</summary>
    public string? MountType { get; init; }

    /// <summary>Fields duplicated at the top level (the legacy "sys injector" of <c>sys/mounts</c>).</summary>
    public JsonObject? TopLevel { get; init; }

    public VaultEnvelope WithWarnings(IEnumerable<string> warnings)
    {
        Warnings.AddRange(warnings);
        return this;
    }

    public bool IsEmpty => Data is null && Auth is null && Warnings.Count == 0;

    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["request_id"] = Guid.NewGuid().ToString(),
            ["lease_id"] = "",
            ["renewable"] = false,
            ["lease_duration"] = 0,
            ["data"] = Data?.DeepClone(),
            ["wrap_info"] = null,
            ["warnings"] = Warnings.Count == 0 ? null : new JsonArray(Warnings.Select(w => (JsonNode?)JsonValue.Create(w)).ToArray()),
            ["auth"] = Auth?.DeepClone(),
        };
        if (MountType is not null)
        {
            json["mount_type"] = MountType;
        }

        if (TopLevel is not null)
        {
            foreach (var (key, value) in TopLevel)
            {
                json[key] = value?.DeepClone();
            }
        }

        return json;
    }
}
