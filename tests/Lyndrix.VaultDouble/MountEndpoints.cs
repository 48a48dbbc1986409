using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary><c>sys/mounts</c>, <c>sys/mounts/&lt;path&gt;[/tune]</c> and <c>sys/internal/ui/mounts[/&lt;path&gt;]</c> (reference §3).</summary>
internal sealed class MountEndpoints(VaultState state)
{
    public VaultReply List()
    {
        var data = new JsonObject();
        foreach (var mount in state.Mounts.All)
        {
            data[mount.Path] = mount.ToJson();
        }

        // The legacy "sys injector" repeats every mount at the top level of the envelope.
        var envelope = new VaultEnvelope
        {
            Data = data,
            MountType = state.Options.IncludeMountType ? "system" : null,
            TopLevel = (JsonObject)data.DeepClone(),
        };
        return VaultReply.Logical(envelope);
    }

    /// <summary>Like Vault's <c>handleReadMount</c> (<c>router.MatchingMountEntry</c>): the mount with the longest prefix of
    /// <paramref name="path"/>, so asking for <c>apps/lyndrix</c> where only <c>apps/</c> exists answers <c>apps/</c>'s entry,
    /// which carries no path (reference §12).</summary>
    public VaultReply Read(string path)
    {
        var mount = state.Mounts.Match(path.Trim('/'));
        if (mount is null)
        {
            return VaultReply.BadRequest($"No secret engine mount at {MountTable.Normalize(path)}");
        }

        var json = mount.ToJson();
        return VaultReply.Logical(new VaultEnvelope
        {
            Data = json,
            MountType = state.Options.IncludeMountType ? "system" : null,
            TopLevel = (JsonObject)json.DeepClone(),
        });
    }

    public VaultReply Enable(string path, JsonObject? body)
    {
        var normalized = MountTable.Normalize(path);
        var type = JsonFields.String(body, "type");
        if (string.IsNullOrEmpty(type))
        {
            return VaultReply.BadRequest("backend type must be specified as a string");
        }

        var options = JsonFields.Get(body, "options") is JsonObject o
            ? o.ToDictionary(kv => kv.Key, kv => kv.Value?.ToString() ?? "", StringComparer.Ordinal)
            : null;
        if (type == "kv-v2")
        {
            type = "kv";
            options ??= new Dictionary<string, string>(StringComparer.Ordinal);
            options["version"] = "2";
        }

        if (type != "kv")
        {
            return VaultReply.BadRequest($"plugin not found in the catalog: {type}");
        }

        if (options is not null && options.TryGetValue("version", out var version) && version is not ("1" or "2" or ""))
        {
            return VaultReply.BadRequest($"invalid version \"{version}\" for kv mount");
        }

        if (MountTable.IsProtected(normalized))
        {
            return VaultReply.BadRequest($"cannot mount \"{normalized}\"");
        }

        if (state.Mounts.Conflict(normalized) is { } existing)
        {
            return VaultReply.Error(state.Options.MountConflictStatus, $"path is already in use at {existing.Path}");
        }

        var mount = MountEntry.Create(normalized, type, JsonFields.String(body, "description") ?? "", options);
        if (JsonFields.Get(body, "config") is JsonObject config)
        {
            ApplyConfig(mount, config);
        }

        state.Mounts.Add(mount);
        if (mount.KvV2 is not null)
        {
            mount.KvV2.UpgradeRequestsRemaining = state.Options.KvUpgradeRequests;
        }

        return VaultReply.NoContent();
    }

    public VaultReply Disable(string path)
    {
        var normalized = MountTable.Normalize(path);
        if (MountTable.IsProtected(normalized))
        {
            return VaultReply.BadRequest($"cannot unmount \"{normalized}\"");
        }

        state.Mounts.Remove(normalized);
        return VaultReply.NoContent();
    }

    public VaultReply ReadTune(string path)
    {
        var mount = state.Mounts.Get(path);
        if (mount is null)
        {
            return VaultReply.BadRequest($"No secret engine mount at {MountTable.Normalize(path)}");
        }

        var json = new JsonObject
        {
            ["default_lease_ttl"] = mount.DefaultLeaseTtl > 0 ? mount.DefaultLeaseTtl : (long)TokenStore.SystemMaxTtl.TotalSeconds,
            ["description"] = mount.Description,
            ["force_no_cache"] = mount.ForceNoCache,
            ["max_lease_ttl"] = mount.MaxLeaseTtl > 0 ? mount.MaxLeaseTtl : (long)TokenStore.SystemMaxTtl.TotalSeconds,
            ["options"] = mount.ToJson()["options"]?.DeepClone(),
        };
        if (mount.ListingVisibility is not null)
        {
            json["listing_visibility"] = mount.ListingVisibility;
        }

        return VaultReply.Logical(new VaultEnvelope
        {
            Data = json,
            MountType = state.Options.IncludeMountType ? "system" : null,
            TopLevel = (JsonObject)json.DeepClone(),
        });
    }

    public VaultReply Tune(string path, JsonObject? body)
    {
        var mount = state.Mounts.Get(path);
        if (mount is null)
        {
            return VaultReply.BadRequest($"No secret engine mount at {MountTable.Normalize(path)}");
        }

        ApplyConfig(mount, body ?? []);
        if (JsonFields.String(body, "description") is { } description)
        {
            mount.Description = description;
        }

        if (JsonFields.Get(body, "options") is JsonObject options && options["version"]?.ToString() is { } version && mount.IsKv)
        {
            switch ((mount.KvVersion, version))
            {
                case ("1", "2"):
                    UpgradeToVersion2(mount);
                    break;
                case ("2", "1"):
                    return VaultReply.BadRequest("cannot downgrade mount from versioned to non-versioned data");
            }
        }

        return VaultReply.NoContent();
    }

    // Tuning options.version from 1 to 2 upgrades in place: each v1 entry becomes version 1 of its key.
    private void UpgradeToVersion2(MountEntry mount)
    {
        var v1 = mount.KvV1;
        mount.Options = new Dictionary<string, string>(StringComparer.Ordinal) { ["version"] = "2" };
        mount.KvV1 = null;
        mount.KvV2 = new KvV2Store { UpgradeRequestsRemaining = state.Options.KvUpgradeRequests };
        var backend = new KvV2Backend(mount, state);
        foreach (var (key, data) in v1?.Entries ?? [])
        {
            backend.WriteDirect(key, data);
        }
    }

    private static void ApplyConfig(MountEntry mount, JsonObject config)
    {
        if (GoDuration.Parse(JsonFields.Get(config, "default_lease_ttl")) is { } dl)
        {
            mount.DefaultLeaseTtl = (long)dl.TotalSeconds;
        }

        if (GoDuration.Parse(JsonFields.Get(config, "max_lease_ttl")) is { } ml)
        {
            mount.MaxLeaseTtl = (long)ml.TotalSeconds;
        }

        if (JsonFields.String(config, "listing_visibility") is { } visibility)
        {
            mount.ListingVisibility = visibility;
        }
    }

    /// <summary>Unauthenticated: only mounts tuned <c>listing_visibility=unauth</c>.</summary>
    public VaultReply UiList()
    {
        var secret = new JsonObject();
        foreach (var mount in state.Mounts.All.Where(m => m.ListingVisibility == "unauth"))
        {
            secret[mount.Path] = new JsonObject { ["description"] = mount.Description, ["options"] = mount.ToJson()["options"]?.DeepClone(), ["type"] = mount.Type };
        }

        var auth = new JsonObject();
        return VaultReply.Logical(state.Envelope("system", new JsonObject { ["auth"] = auth, ["secret"] = secret }));
    }

    /// <summary>Needs a token but no policy on the path itself: any non-deny capability under the mount is enough. A missing
    /// mount and a token without access give the same 403, so mounts cannot be enumerated.</summary>
    public VaultReply UiMount(string path, string? rawToken)
    {
        if (rawToken is null)
        {
            return VaultReply.Error(403, "permission denied");
        }

        var token = state.Tokens.Find(rawToken);
        if (token is null)
        {
            return VaultReply.Error(403, state.InvalidTokenErrors());
        }

        var requested = MountTable.Normalize(path);
        var mount = state.Mounts.Match(requested.TrimEnd('/'));
        if (mount is null || (!token.IsRoot && !state.Policies.EvaluatorFor(token.Policies).HasAnyAccessUnder(mount.Path)))
        {
            return VaultReply.Error(403, $"preflight capability check returned 403, please ensure client's policies grant access to path \"{requested}\"");
        }

        var json = mount.ToJson();
        json["path"] = mount.Path;
        return VaultReply.Logical(state.Envelope("system", json));
    }
}
