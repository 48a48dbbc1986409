using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary><c>sys/auth[/&lt;path&gt;]</c>: enabling and listing auth methods (AppRole only, plus the built-in token method).</summary>
internal sealed class AuthMethodEndpoints(VaultState state)
{
    public VaultReply List()
    {
        var data = new JsonObject { ["token/"] = Describe("token", "token based credentials") };
        foreach (var path in state.AuthMethods.AppRoleMountPaths.Order(StringComparer.Ordinal))
        {
            data[path] = Describe("approle", "");
        }

        return VaultReply.Logical(new VaultEnvelope
        {
            Data = data,
            MountType = state.Options.IncludeMountType ? "system" : null,
            TopLevel = (JsonObject)data.DeepClone(),
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

        if (type != "approle")
        {
            return VaultReply.BadRequest($"plugin not found in the catalog: {type}");
        }

        if (state.AuthMethods.IsEnabled(normalized))
        {
            return VaultReply.Error(state.Options.MountConflictStatus, $"path is already in use at auth/{normalized}");
        }

        state.AuthMethods.EnableAppRole(normalized);
        return VaultReply.NoContent();
    }

    public VaultReply Disable(string path)
    {
        state.AuthMethods.Disable(MountTable.Normalize(path));
        return VaultReply.NoContent();
    }

    private static JsonObject Describe(string type, string description) => new()
    {
        ["accessor"] = $"auth_{type}_{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..4])}",
        ["config"] = new JsonObject { ["default_lease_ttl"] = 0, ["force_no_cache"] = false, ["max_lease_ttl"] = 0, ["token_type"] = "default-service" },
        ["description"] = description,
        ["local"] = false,
        ["options"] = null,
        ["seal_wrap"] = false,
        ["type"] = type,
    };
}
