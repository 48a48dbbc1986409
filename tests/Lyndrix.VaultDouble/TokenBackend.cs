using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary><c>auth/token/*</c>: lookup-self, renew-self, revoke-self, create and lookup (reference §2).</summary>
internal sealed class TokenBackend(VaultState state) : ILogicalBackend
{
    private DateTimeOffset Now => state.Now;

    public bool? Exists(string relativePath) => null;

    public bool RequiresSudo(string relativePath) => false;

    public bool IsUnauthenticated(string relativePath) => false;

    public VaultReply Handle(VaultRequestContext request, string relativePath)
    {
        var token = request.Token!;
        var write = request.Operation is VaultOperation.Create or VaultOperation.Update;
        try
        {
            return relativePath switch
            {
                "lookup-self" when request.Operation == VaultOperation.Read => Lookup(token),
                "lookup" when write => JsonFields.String(request.Body, "token") is { Length: > 0 } other
                    ? state.Tokens.Find(other) is { } found ? Lookup(found) : VaultReply.BadRequest("bad token")
                    : VaultReply.BadRequest("missing token"),
                "renew-self" when write => Renew(token, request.Body),
                "revoke-self" when write => Revoke(token),
                "create" or "create-orphan" when write => Create(token, request.Body, relativePath == "create-orphan"),
                "lookup-self" or "lookup" or "renew-self" or "revoke-self" or "create" or "create-orphan" => VaultReply.Error(405, "unsupported operation"),
                _ => VaultReply.Error(404, "1 error occurred:\n\t* unsupported path\n\n"),
            };
        }
        catch (FormatException e)
        {
            return VaultReply.BadRequest(e.Message);
        }
    }

    private VaultReply Lookup(VaultToken t)
    {
        var policies = new JsonArray(t.Policies.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray());
        var data = new JsonObject
        {
            ["accessor"] = t.Accessor,
            ["creation_time"] = t.IssueTime.ToUnixTimeSeconds(),
            ["creation_ttl"] = (long)t.CreationTtl.TotalSeconds,
            ["display_name"] = t.DisplayName,
            ["entity_id"] = t.EntityId,
            ["expire_time"] = t.ExpireTime is null ? null : VaultTime.Format(t.ExpireTime.Value),
            ["explicit_max_ttl"] = (long)t.ExplicitMaxTtl.TotalSeconds,
            ["id"] = t.Id,
            ["issue_time"] = VaultTime.Format(t.IssueTime),
            ["meta"] = AuthBlock.Meta(t.Meta),
            ["num_uses"] = t.NumUses,
            ["orphan"] = t.Orphan,
            ["path"] = t.Path,
            ["policies"] = policies,
            ["renewable"] = t.Renewable,
            ["ttl"] = (long)t.Ttl(Now).TotalSeconds,
            ["type"] = "service",
        };
        return VaultReply.Logical(state.Envelope("token", data));
    }

    private VaultReply Renew(VaultToken t, JsonObject? body)
    {
        if (t.ExpireTime is null)
        {
            return VaultReply.BadRequest("invalid lease ID");
        }

        if (!t.Renewable)
        {
            return VaultReply.BadRequest("lease is not renewable");
        }

        var increment = GoDuration.Parse(JsonFields.Get(body, "increment")) ?? TimeSpan.Zero;
        var requested = increment > TimeSpan.Zero ? increment : t.CreationTtl;
        var limit = t.IssueTime + (t.ExplicitMaxTtl > TimeSpan.Zero && t.ExplicitMaxTtl < t.MaxTtl ? t.ExplicitMaxTtl : t.MaxTtl);
        var envelope = state.Envelope("token");
        var expiry = Now + requested;
        if (expiry > limit)
        {
            expiry = limit;
            envelope.Warnings.Add(
                $"TTL of \"{GoDuration.Format(requested)}\" exceeded the effective max_ttl of \"{GoDuration.Format(limit - Now)}\"; TTL value is capped accordingly");
        }

        t.ExpireTime = expiry;
        return VaultReply.Logical(new VaultEnvelope { MountType = envelope.MountType, Auth = AuthBlock.For(t, Now) }.WithWarnings(envelope.Warnings));
    }

    private VaultReply Revoke(VaultToken t)
    {
        state.Tokens.Revoke(t.Id);
        return VaultReply.NoContent();
    }

    private VaultReply Create(VaultToken parent, JsonObject? body, bool orphan)
    {
        var policies = JsonFields.StringList(body, "policies") ?? parent.Policies.Where(p => p != "default").ToList();
        if (!parent.IsRoot && policies.Any(p => p != "default" && !parent.Policies.Contains(p)))
        {
            return VaultReply.BadRequest("child policies must be subset of parent");
        }

        if (policies.Count == 0 && parent.IsRoot)
        {
            policies = ["root"];
        }

        if (JsonFields.Bool(body, "no_default_policy") != true && !policies.Contains("root"))
        {
            policies.Add("default");
        }

        var ttl = GoDuration.Parse(JsonFields.Get(body, "ttl")) ?? TimeSpan.Zero;
        if (ttl == TimeSpan.Zero && !policies.Contains("root"))
        {
            ttl = TokenStore.SystemMaxTtl;
        }

        var explicitMax = GoDuration.Parse(JsonFields.Get(body, "explicit_max_ttl")) ?? TimeSpan.Zero;
        var meta = JsonFields.Get(body, "meta") is JsonObject m ? m.ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? "") : null;
        var token = state.Tokens.Create(policies, ttl, explicitMax, JsonFields.Bool(body, "renewable") ?? true,
            (int)(JsonFields.Int(body, "num_uses") ?? 0), "auth/token/create",
            "token" + (JsonFields.String(body, "display_name") is { Length: > 0 } dn ? "-" + dn : ""), meta,
            orphan || JsonFields.Bool(body, "no_parent") == true, explicitMax);
        return VaultReply.Logical(new VaultEnvelope { MountType = state.Options.IncludeMountType ? "token" : null, Auth = AuthBlock.For(token, Now) });
    }
}
