using System.Globalization;
using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary>The endpoints that work whatever the seal state (reference §1): <c>sys/init</c>, <c>sys/seal-status</c>,
/// <c>sys/unseal</c>, <c>sys/health</c>, and <c>sys/seal</c>. Their answers are bare objects, not envelopes.</summary>
internal sealed class SealEndpoints(VaultState state)
{
    public static bool Handles(string path) => path is "sys/init" or "sys/seal-status" or "sys/unseal" or "sys/health" or "sys/seal";

    public VaultReply Handle(string path, string method, IReadOnlyDictionary<string, string> query, JsonObject? body, string? rawToken, HealthRole role)
    {
        var write = method is "PUT" or "POST";
        var read = method is "GET" or "HEAD";
        try
        {
            return path switch
            {
                "sys/init" when read => VaultReply.Json(200, new JsonObject { ["initialized"] = state.Seal.Initialized }),
                "sys/init" when write => Initialize(body),
                "sys/seal-status" when read => VaultReply.Json(200, SealStatus()),
                "sys/unseal" when write => Unseal(body),
                "sys/health" when read => Health(query, role, method == "HEAD"),
                "sys/seal" when write => Seal(rawToken),
                _ => VaultReply.Error(405),
            };
        }
        catch (FormatException e)
        {
            return VaultReply.BadRequest(e.Message);
        }
    }

    public JsonObject SealStatus()
    {
        var seal = state.Seal;
        var json = new JsonObject
        {
            ["type"] = seal.Type,
            ["initialized"] = seal.Initialized,
            ["sealed"] = seal.Sealed,
            ["t"] = seal.Threshold,
            ["n"] = seal.Shares,
            ["progress"] = seal.Progress,
            ["nonce"] = seal.Nonce,
            ["version"] = state.Version,
            ["build_date"] = "2024-08-30T15:54:57Z",
            ["migration"] = false,
        };
        if (!seal.Sealed)
        {
            json["cluster_name"] = seal.ClusterName;
            json["cluster_id"] = seal.ClusterId;
        }

        json["recovery_seal"] = seal.IsAutoUnseal;
        json["storage_type"] = "inmem";
        return json;
    }

    private VaultReply Initialize(JsonObject? body)
    {
        try
        {
            int Field(string name) => (int)(JsonFields.Int(body, name) ?? 0);
            var (root, shares) = state.Initialize(Field("secret_shares"), Field("secret_threshold"), Field("recovery_shares"), Field("recovery_threshold"));
            static JsonArray Hex(IEnumerable<byte[]> keys) => new(keys.Select(s => (JsonNode?)JsonValue.Create(Convert.ToHexStringLower(s))).ToArray());
            static JsonArray Base64(IEnumerable<byte[]> keys) => new(keys.Select(s => (JsonNode?)JsonValue.Create(Convert.ToBase64String(s))).ToArray());
            var auto = state.Seal.IsAutoUnseal;
            var json = new JsonObject
            {
                // An auto-unseal seal keeps the barrier key in its KMS: no unseal keys, recovery keys instead.
                ["keys"] = Hex(auto ? [] : shares),
                ["keys_base64"] = Base64(auto ? [] : shares),
            };
            if (auto)
            {
                json["recovery_keys"] = Hex(shares);
                json["recovery_keys_base64"] = Base64(shares);
            }

            json["root_token"] = root;
            return VaultReply.Json(200, json);
        }
        catch (InvalidOperationException e)
        {
            return VaultReply.BadRequest(e.Message);
        }
    }

    private VaultReply Unseal(JsonObject? body)
    {
        try
        {
            if (JsonFields.Bool(body, "reset") == true)
            {
                state.Seal.Reset();
                return VaultReply.Json(200, SealStatus());
            }

            var key = JsonFields.String(body, "key");
            if (string.IsNullOrEmpty(key))
            {
                return VaultReply.BadRequest("'key' must be specified in request body as JSON, or 'reset' set to true");
            }

            var share = DecodeShare(key);
            if (share is null)
            {
                return VaultReply.BadRequest("'key' must be a valid hex or base64 string");
            }

            state.Seal.Submit(share);
            return VaultReply.Json(200, SealStatus());
        }
        catch (InvalidOperationException e)
        {
            return VaultReply.BadRequest(e.Message);
        }
    }

    // Vault tries hex first, then standard base64.
    private static byte[]? DecodeShare(string key)
    {
        try
        {
            return Convert.FromHexString(key);
        }
        catch (FormatException)
        {
        }

        try
        {
            return Convert.FromBase64String(key);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private VaultReply Seal(string? rawToken)
    {
        // Sealing a sealed node returns before the token is looked at.
        if (state.Seal.Sealed)
        {
            return VaultReply.NoContent();
        }

        if (rawToken is null)
        {
            return VaultReply.Error(403, "permission denied");
        }

        var token = state.Tokens.Find(rawToken);
        if (token is null)
        {
            return VaultReply.Error(403, state.InvalidTokenErrors());
        }

        if (!state.IsAllowed(token, "sys/seal", Capabilities.Update | Capabilities.Sudo))
        {
            return VaultReply.Error(403, VaultState.PermissionDenied);
        }

        state.Seal.Seal();
        return VaultReply.NoContent();
    }

    private VaultReply Health(IReadOnlyDictionary<string, string> query, HealthRole role, bool head)
    {
        int Code(string name, int fallback)
        {
            if (!query.TryGetValue(name, out var raw))
            {
                return fallback;
            }

            return int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) && code is >= 200 and <= 599
                ? code
                : throw new FormatException($"bad code for {name}: {raw}");
        }

        bool Flag(string name) => query.TryGetValue(name, out var raw) && (raw.Length == 0 || bool.TryParse(raw, out var b) && b);

        var seal = state.Seal;
        var unsealed = seal.Initialized && !seal.Sealed;
        // While the leader election after an unseal runs, no node is active yet.
        var standby = unsealed && (role is HealthRole.Standby or HealthRole.PerformanceStandby || state.IsLeaderless);
        var perfStandby = unsealed && role == HealthRole.PerformanceStandby;
        var status = !seal.Initialized ? Code("uninitcode", 501)
            : seal.Sealed ? Code("sealedcode", 503)
            : role == HealthRole.DrSecondary ? Code("drsecondarycode", 472)
            : perfStandby && !Flag("perfstandbyok") ? Code("performancestandbycode", 473)
            : standby && !perfStandby && !Flag("standbyok") ? Code("standbycode", 429)
            : Code("activecode", 200);
        if (head)
        {
            return VaultReply.Empty(status);
        }

        var json = new JsonObject
        {
            ["initialized"] = seal.Initialized,
            ["sealed"] = seal.Sealed,
            ["standby"] = standby,
            ["performance_standby"] = perfStandby,
            ["replication_performance_mode"] = "disabled",
            ["replication_dr_mode"] = role == HealthRole.DrSecondary && unsealed ? "secondary" : "disabled",
            ["server_time_utc"] = state.Now.ToUnixTimeSeconds(),
            ["version"] = state.Version,
        };
        if (unsealed)
        {
            json["cluster_name"] = seal.ClusterName;
            json["cluster_id"] = seal.ClusterId;
        }

        json["enterprise"] = false;
        json["echo_duration_ms"] = 0;
        json["clock_skew_ms"] = 0;
        return VaultReply.Json(status, json);
    }
}
