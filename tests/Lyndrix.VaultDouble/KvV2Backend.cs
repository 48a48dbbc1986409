using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary>The KV version 2 engine (reference §4): versions with a max_versions window, check-and-set, soft delete, undelete,
/// destroy, metadata, subkeys, and the three kinds of 404 body.</summary>
internal sealed class KvV2Backend(MountEntry mount, VaultState state) : ILogicalBackend
{
    private const string UpgradingMessage =
        "Upgrading from non-versioned to versioned data. This backend will be unavailable for a brief period and will resume service shortly.";

    private static readonly string[] SubRoots = ["metadata", "data", "delete", "undelete", "destroy"];

    private KvV2Store Store => mount.KvV2!;

    private DateTimeOffset Now => state.Now;

    public bool? Exists(string relativePath)
    {
        var (sub, key) = Split(relativePath);
        return sub is "data" or "metadata" && key is not null ? Store.Keys.ContainsKey(key) : null;
    }

    public bool RequiresSudo(string relativePath) => false;

    public bool IsUnauthenticated(string relativePath) => false;

    public VaultReply Handle(VaultRequestContext request, string relativePath)
    {
        if (Store.UpgradeRequestsRemaining > 0)
        {
            Store.UpgradeRequestsRemaining--;
            return VaultReply.BadRequest(UpgradingMessage);
        }

        var (sub, key) = Split(relativePath);
        var op = request.Operation;
        try
        {
            return (sub, key) switch
            {
                ("config", null) => op switch
                {
                    VaultOperation.Read => ReadConfig(),
                    VaultOperation.Create or VaultOperation.Update => WriteConfig(request.Body),
                    _ => Unsupported(),
                },
                ("data", { Length: > 0 } k) when !k.EndsWith('/') => op switch
                {
                    VaultOperation.Read => ReadData(k, request),
                    VaultOperation.Create or VaultOperation.Update => WriteData(k, request.Body),
                    VaultOperation.Patch => PatchData(k, request.Body),
                    VaultOperation.Delete => DeleteLatest(k),
                    _ => Unsupported(),
                },
                ("metadata", { } k) => op switch
                {
                    VaultOperation.Read => ReadMetadata(k),
                    VaultOperation.List => ListMetadata(k),
                    VaultOperation.Create or VaultOperation.Update => WriteMetadata(k, request.Body),
                    VaultOperation.Patch => PatchMetadata(k, request.Body),
                    VaultOperation.Delete => DeleteMetadata(k),
                    _ => Unsupported(),
                },
                ("delete" or "undelete" or "destroy", { } k) => op is VaultOperation.Create or VaultOperation.Update
                    ? ChangeVersions(sub, k, request.Body)
                    : Unsupported(),
                ("subkeys", { Length: > 0 } k) when !k.EndsWith('/') => op == VaultOperation.Read ? ReadSubkeys(k, request) : Unsupported(),
                _ => InvalidPath(relativePath, op),
            };
        }
        catch (FormatException e)
        {
            return VaultReply.BadRequest(e.Message);
        }
    }

    /// <summary>Writes a version directly (test setup), as an unconditional write would.</summary>
    public int WriteDirect(string key, JsonObject data)
    {
        var meta = Store.Keys.GetValueOrDefault(key) ?? NewMetadata();
        AddVersion(key, meta, (JsonObject)data.DeepClone());
        return meta.CurrentVersion;
    }

    private static (string Sub, string? Key) Split(string relativePath)
    {
        var i = relativePath.IndexOf('/', StringComparison.Ordinal);
        return i < 0 ? (relativePath, null) : (relativePath[..i], relativePath[(i + 1)..]);
    }

    private static VaultReply Unsupported() => VaultReply.Error(405, "unsupported operation");

    private VaultReply Envelope(JsonNode? data, int status = 200, params string[] warnings)
    {
        var envelope = state.Envelope("kv", data);
        envelope.Warnings.AddRange(warnings);
        return VaultReply.Logical(envelope, status);
    }

    private VaultReply InvalidPath(string relativePath, VaultOperation op)
    {
        if (SubRoots.Contains(relativePath))
        {
            return Envelope(null, 404, "Non-listing operations on the root of a K/V v2 mount are not supported.");
        }

        var subCommand = op switch
        {
            VaultOperation.Create or VaultOperation.Update => "put",
            VaultOperation.Patch => "patch",
            VaultOperation.Read => "get",
            VaultOperation.List => "list",
            _ => "delete",
        };
        return Envelope(null, 404,
            $"Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv {subCommand}' for this operation.");
    }

    private VaultReply ReadConfig() => Envelope(new JsonObject
    {
        ["cas_required"] = Store.CasRequired,
        ["delete_version_after"] = GoDuration.Format(Store.DeleteVersionAfter),
        ["max_versions"] = Store.MaxVersions,
    });

    private VaultReply WriteConfig(JsonObject? body)
    {
        if (JsonFields.Int(body, "max_versions") is { } max)
        {
            Store.MaxVersions = (int)max;
        }

        if (JsonFields.Bool(body, "cas_required") is { } cas)
        {
            Store.CasRequired = cas;
        }

        if (GoDuration.Parse(JsonFields.Get(body, "delete_version_after")) is { } dva)
        {
            Store.DeleteVersionAfter = dva;
        }

        return VaultReply.NoContent();
    }

    private static int? VersionParameter(VaultRequestContext request)
    {
        var raw = request.QueryValue("version") ?? JsonFields.String(request.Body, "version");
        if (string.IsNullOrEmpty(raw))
        {
            return null;
        }

        return int.TryParse(raw, out var v) ? v : throw new FormatException($"error converting input {raw} for field \"version\"");
    }

    private JsonObject VersionMetadata(KvKeyMetadata meta, int version, KvVersion v) => new()
    {
        ["created_time"] = VaultTime.Format(v.CreatedTime),
        ["custom_metadata"] = CustomMetadataJson(meta),
        ["deletion_time"] = VaultTime.Format(v.DeletionTime),
        ["destroyed"] = v.Destroyed,
        ["version"] = version,
    };

    private static JsonObject? CustomMetadataJson(KvKeyMetadata meta) =>
        meta.CustomMetadata is null ? null : new JsonObject(meta.CustomMetadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));

    private VaultReply ReadData(string key, VaultRequestContext request)
    {
        if (!Store.Keys.TryGetValue(key, out var meta))
        {
            return VaultReply.NotFound();
        }

        var version = VersionParameter(request) is > 0 and var requested ? requested : meta.CurrentVersion;
        if (!meta.Versions.TryGetValue(version, out var v))
        {
            return VaultReply.NotFound();
        }

        var hidden = v.IsDeleted(Now) || v.Destroyed;
        var data = new JsonObject
        {
            ["data"] = hidden ? null : v.Data?.DeepClone(),
            ["metadata"] = VersionMetadata(meta, version, v),
        };
        return Envelope(data, hidden ? 404 : 200);
    }

    private string? CheckAndSet(JsonObject? body, KvKeyMetadata meta)
    {
        var options = JsonFields.Get(body, "options") as JsonObject;
        if (options is not null && options.TryGetPropertyValue("cas", out var casNode))
        {
            long? cas;
            try
            {
                cas = casNode is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                    ? (v.GetValue<bool>() ? 1 : 0)
                    : JsonFields.Int(casNode, "cas") ?? 0;
            }
            catch (FormatException)
            {
                return "error parsing check-and-set parameter";
            }

            return cas != meta.CurrentVersion ? "check-and-set parameter did not match the current version" : null;
        }

        return Store.CasRequired || meta.CasRequired ? "check-and-set parameter required for this call" : null;
    }

    private KvKeyMetadata NewMetadata() => new() { CreatedTime = Now, UpdatedTime = Now };

    private KvVersion AddVersion(string key, KvKeyMetadata meta, JsonObject data)
    {
        var created = Now;
        var dva = meta.DeleteVersionAfter > TimeSpan.Zero && (Store.DeleteVersionAfter <= TimeSpan.Zero || meta.DeleteVersionAfter < Store.DeleteVersionAfter)
            ? meta.DeleteVersionAfter
            : Store.DeleteVersionAfter;
        var version = new KvVersion { CreatedTime = created, Data = data, DeletionTime = dva > TimeSpan.Zero ? created + dva : null };
        if (meta.CurrentVersion == 0 && meta.Versions.Count == 0)
        {
            meta.CreatedTime = created;
        }

        meta.CurrentVersion++;
        meta.Versions[meta.CurrentVersion] = version;
        meta.UpdatedTime = created;

        var max = Math.Max(meta.MaxVersions, Store.MaxVersions) is > 0 and var m ? m : KvV2Store.DefaultMaxVersions;
        if (meta.CurrentVersion - meta.OldestVersion >= max)
        {
            var last = meta.CurrentVersion - max;
            for (var i = meta.OldestVersion; i <= last; i++)
            {
                meta.Versions.Remove(i);
            }

            meta.OldestVersion = last + 1;
        }

        Store.Keys[key] = meta;
        return version;
    }

    private VaultReply WriteReply(KvKeyMetadata meta, KvVersion version) => Envelope(VersionMetadata(meta, meta.CurrentVersion, version));

    private VaultReply WriteData(string key, JsonObject? body)
    {
        var dataNode = JsonFields.Get(body, "data");
        if (dataNode is null)
        {
            return VaultReply.BadRequest("no data provided");
        }

        if (dataNode is not JsonObject data)
        {
            return VaultReply.BadRequest($"error converting input {dataNode.ToJsonString()} for field \"data\": expected a map");
        }

        var meta = Store.Keys.GetValueOrDefault(key) ?? NewMetadata();
        if (CheckAndSet(body, meta) is { } casError)
        {
            return VaultReply.BadRequest(casError);
        }

        return WriteReply(meta, AddVersion(key, meta, (JsonObject)data.DeepClone()));
    }

    private VaultReply PatchData(string key, JsonObject? body)
    {
        var patch = JsonFields.Get(body, "data");
        if (patch is null)
        {
            return VaultReply.BadRequest("no data provided");
        }

        if (!Store.Keys.TryGetValue(key, out var meta))
        {
            return VaultReply.Empty(404);
        }

        if (CheckAndSet(body, meta) is { } casError)
        {
            return VaultReply.BadRequest(casError);
        }

        if (!meta.Versions.TryGetValue(meta.CurrentVersion, out var current))
        {
            return VaultReply.Empty(404);
        }

        if (current.IsDeleted(Now) || current.Destroyed)
        {
            return Envelope(VersionMetadata(meta, meta.CurrentVersion, current), 404);
        }

        if (JsonMergePatch.Apply(current.Data, patch) is not JsonObject patched)
        {
            return VaultReply.BadRequest("no data provided");
        }

        return WriteReply(meta, AddVersion(key, meta, patched));
    }

    private VaultReply DeleteLatest(string key)
    {
        if (Store.Keys.TryGetValue(key, out var meta) && meta.Versions.TryGetValue(meta.CurrentVersion, out var latest)
                                                       && !latest.Destroyed && !latest.IsDeleted(Now))
        {
            latest.DeletionTime = Now;
        }

        return VaultReply.NoContent();
    }

    private VaultReply ChangeVersions(string sub, string key, JsonObject? body)
    {
        var versions = JsonFields.Get(body, "versions") switch
        {
            null => [],
            JsonArray a => a.Select(n => (int)(JsonFields.Int(n, "versions") ?? 0)).ToList(),
            var other => other.ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToList(),
        };
        if (versions.Count == 0)
        {
            return VaultReply.BadRequest(sub == "destroy" ? "no version number provided" : "No version number provided");
        }

        if (!Store.Keys.TryGetValue(key, out var meta))
        {
            return VaultReply.NoContent();
        }

        foreach (var number in versions)
        {
            if (!meta.Versions.TryGetValue(number, out var v) || v.Destroyed)
            {
                continue;
            }

            switch (sub)
            {
                case "delete" when !v.IsDeleted(Now):
                    v.DeletionTime = Now;
                    break;
                case "undelete":
                    v.DeletionTime = null;
                    break;
                case "destroy":
                    v.Destroyed = true;
                    v.Data = null;
                    break;
            }
        }

        return VaultReply.NoContent();
    }

    private VaultReply ReadMetadata(string key)
    {
        if (!Store.Keys.TryGetValue(key, out var meta))
        {
            return VaultReply.NotFound();
        }

        var versions = new JsonObject();
        foreach (var (number, v) in meta.Versions)
        {
            versions[number.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["created_time"] = VaultTime.Format(v.CreatedTime),
                ["deletion_time"] = VaultTime.Format(v.DeletionTime),
                ["destroyed"] = v.Destroyed,
            };
        }

        return Envelope(new JsonObject
        {
            ["cas_required"] = meta.CasRequired,
            ["created_time"] = VaultTime.Format(meta.CreatedTime),
            ["current_version"] = meta.CurrentVersion,
            ["custom_metadata"] = CustomMetadataJson(meta),
            ["delete_version_after"] = GoDuration.Format(meta.DeleteVersionAfter),
            ["max_versions"] = meta.MaxVersions,
            ["oldest_version"] = meta.OldestVersion,
            ["updated_time"] = VaultTime.Format(meta.UpdatedTime),
            ["versions"] = versions,
        });
    }

    private VaultReply ListMetadata(string prefix)
    {
        var keys = Store.Keys.Keys
            .Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Select(k => k[prefix.Length..])
            .Select(rest => rest.IndexOf('/', StringComparison.Ordinal) is >= 0 and var i ? rest[..(i + 1)] : rest)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        return keys.Count == 0
            ? VaultReply.NotFound()
            : Envelope(new JsonObject { ["keys"] = new JsonArray(keys.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray()) });
    }

    private static Dictionary<string, string>? ParseCustomMetadata(JsonNode? node, bool dropNulls)
    {
        if (node is null)
        {
            return null;
        }

        if (node is not JsonObject obj)
        {
            throw new FormatException("custom_metadata validation failed: expected a map");
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in obj)
        {
            if (v is null && dropNulls)
            {
                continue;
            }

            result[k] = v is JsonValue jv && jv.GetValueKind() == JsonValueKind.String ? jv.GetValue<string>() : v?.ToJsonString() ?? "";
        }

        return result;
    }

    private static string? ValidateCustomMetadata(Dictionary<string, string> metadata)
    {
        const string Prefix = "custom_metadata validation failed";
        if (metadata.Count > 64)
        {
            return $"{Prefix}: payload must contain at most 64 keys, provided {metadata.Count}";
        }

        var errors = new List<string>();
        foreach (var (k, v) in metadata)
        {
            if (k.Length is 0 or > 128)
            {
                errors.Add($"{Prefix}: length of key \"{k}\" is {k.Length} but must be 0 < len(key) <= 128");
            }

            if (v.Length is 0 or > 512)
            {
                errors.Add($"{Prefix}: length of value for key \"{k}\" is {v.Length} but must be 0 < len(value) <= 512");
            }

            if (k.Any(char.IsControl))
            {
                errors.Add($"{Prefix}: key \"{k}\" contains unprintable characters");
            }

            if (v.Any(char.IsControl))
            {
                errors.Add($"{Prefix}: value for key \"{k}\" contains unprintable characters");
            }
        }

        return errors.Count switch
        {
            0 => null,
            1 => $"1 error occurred:\n\t* {errors[0]}\n\n",
            _ => $"{errors.Count} errors occurred:\n" + string.Concat(errors.Select(e => $"\t* {e}\n")) + "\n",
        };
    }

    private VaultReply WriteMetadata(string key, JsonObject? body)
    {
        if (key.Length == 0)
        {
            return VaultReply.BadRequest("missing path");
        }

        var max = JsonFields.Int(body, "max_versions");
        var cas = JsonFields.Bool(body, "cas_required");
        var dva = GoDuration.Parse(JsonFields.Get(body, "delete_version_after"));
        var custom = ParseCustomMetadata(JsonFields.Get(body, "custom_metadata"), dropNulls: false);
        if (max is null && cas is null && dva is null && custom is null)
        {
            return VaultReply.NoContent();
        }

        if (custom is not null && ValidateCustomMetadata(custom) is { } error)
        {
            return VaultReply.BadRequest(error);
        }

        var meta = Store.Keys.GetValueOrDefault(key) ?? NewMetadata();
        ApplyMetadata(meta, max, cas, dva);
        if (custom is not null)
        {
            meta.CustomMetadata = custom;
        }

        Store.Keys[key] = meta;
        return MetadataWarning(cas);
    }

    private VaultReply PatchMetadata(string key, JsonObject? body)
    {
        if (key.Length == 0)
        {
            return VaultReply.BadRequest("missing path");
        }

        var customPatch = JsonFields.Get(body, "custom_metadata");
        var custom = ParseCustomMetadata(customPatch, dropNulls: true);
        if (custom is not null && ValidateCustomMetadata(custom) is { } error)
        {
            return VaultReply.BadRequest(error);
        }

        if (!Store.Keys.TryGetValue(key, out var meta))
        {
            return VaultReply.Empty(404);
        }

        var cas = JsonFields.Bool(body, "cas_required");
        ApplyMetadata(meta, JsonFields.Int(body, "max_versions"), cas, GoDuration.Parse(JsonFields.Get(body, "delete_version_after")));
        if (customPatch is JsonObject patchObject)
        {
            var merged = meta.CustomMetadata ?? new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (k, v) in patchObject)
            {
                if (v is null)
                {
                    merged.Remove(k);
                }
                else
                {
                    merged[k] = custom![k];
                }
            }

            meta.CustomMetadata = merged;
        }

        return MetadataWarning(cas);
    }

    private static void ApplyMetadata(KvKeyMetadata meta, long? max, bool? cas, TimeSpan? dva)
    {
        if (max is not null)
        {
            meta.MaxVersions = (int)max;
        }

        if (cas is not null)
        {
            meta.CasRequired = cas.Value;
        }

        if (dva is not null)
        {
            meta.DeleteVersionAfter = dva.Value;
        }
    }

    private VaultReply MetadataWarning(bool? cas) =>
        cas == false && Store.CasRequired
            ? Envelope(null, 200, "\"cas_required\" set to false, but is mandated by backend config. This value will be ignored.")
            : VaultReply.NoContent();

    private VaultReply DeleteMetadata(string key)
    {
        Store.Keys.Remove(key);
        return VaultReply.NoContent();
    }

    private VaultReply ReadSubkeys(string key, VaultRequestContext request)
    {
        if (!Store.Keys.TryGetValue(key, out var meta))
        {
            return VaultReply.NotFound();
        }

        var version = VersionParameter(request) is > 0 and var requested ? requested : meta.CurrentVersion;
        if (!meta.Versions.TryGetValue(version, out var v))
        {
            return VaultReply.NotFound();
        }

        var depth = int.TryParse(request.QueryValue("depth"), out var d) ? d : 0;
        var hidden = v.IsDeleted(Now) || v.Destroyed;
        return Envelope(new JsonObject
        {
            ["metadata"] = VersionMetadata(meta, version, v),
            ["subkeys"] = hidden ? null : Subkeys(v.Data, depth, 1),
        }, hidden ? 404 : 200);
    }

    private static JsonObject Subkeys(JsonObject? data, int maxDepth, int depth)
    {
        var result = new JsonObject();
        foreach (var (k, v) in data ?? [])
        {
            result[k] = v is JsonObject nested && (maxDepth == 0 || depth < maxDepth) ? Subkeys(nested, maxDepth, depth + 1) : null;
        }

        return result;
    }
}
