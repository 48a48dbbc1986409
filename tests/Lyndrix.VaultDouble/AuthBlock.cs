using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary>The <c>auth</c> block of login, token create and renew responses (reference §2, §7).</summary>
internal static class AuthBlock
{
    public static JsonObject For(VaultToken token, DateTimeOffset now)
    {
        var policies = new JsonArray(token.Policies.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray());
        return new JsonObject
        {
            ["client_token"] = token.Id,
            ["accessor"] = token.Accessor,
            ["policies"] = policies,
            ["token_policies"] = policies.DeepClone(),
            ["metadata"] = Meta(token.Meta),
            ["lease_duration"] = (long)token.Ttl(now).TotalSeconds,
            ["renewable"] = token.Renewable,
            ["entity_id"] = token.EntityId,
            ["token_type"] = "service",
            ["orphan"] = token.Orphan,
            ["mfa_requirement"] = null,
            ["num_uses"] = token.NumUses,
        };
    }

    public static JsonObject? Meta(IReadOnlyDictionary<string, string>? meta) =>
        meta is null ? null : new JsonObject(meta.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
}
