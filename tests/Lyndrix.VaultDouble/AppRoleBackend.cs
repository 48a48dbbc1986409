using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary>An AppRole auth mount: roles, role IDs, secret IDs with use counts and TTLs, and login (reference §7).</summary>
internal sealed class AppRoleBackend(string mountPath, VaultState state) : ILogicalBackend
{
    private const string InvalidCredentials = "invalid role or secret ID";

    private Dictionary<string, AppRole> Roles => state.AuthMethods.AppRoles(mountPath)!;

    private DateTimeOffset Now => state.Now;

    public bool? Exists(string relativePath)
    {
        var parts = relativePath.Split('/');
        return parts is ["role", var name] ? Roles.ContainsKey(name) : null;
    }

    public bool RequiresSudo(string relativePath) => false;

    public bool IsUnauthenticated(string relativePath) => relativePath == "login";

    public VaultReply Handle(VaultRequestContext request, string relativePath)
    {
        var op = request.Operation;
        var write = op is VaultOperation.Create or VaultOperation.Update;
        try
        {
            return relativePath.Split('/') switch
            {
                ["login"] when write => Login(request.Body),
                ["role", ""] when op == VaultOperation.List => ListRoles(),
                ["role", var name] when name.Length > 0 => op switch
                {
                    VaultOperation.Read => ReadRole(name),
                    VaultOperation.Delete => DeleteRole(name),
                    _ when write => WriteRole(name, request.Body),
                    _ => Unsupported(),
                },
                ["role", var name, "role-id"] => op switch
                {
                    VaultOperation.Read => Roles.TryGetValue(name, out var role)
                        ? Envelope(new JsonObject { ["role_id"] = role.RoleId })
                        : VaultReply.NotFound(),
                    _ when write => SetRoleId(name, request.Body),
                    _ => Unsupported(),
                },
                ["role", var name, "secret-id"] when write => GenerateSecretId(name),
                ["login"] or ["role", ..] => Unsupported(),
                _ => VaultReply.Error(404, "1 error occurred:\n\t* unsupported path\n\n"),
            };
        }
        catch (FormatException e)
        {
            return VaultReply.BadRequest(e.Message);
        }
    }

    private static VaultReply Unsupported() => VaultReply.Error(405, "unsupported operation");

    private VaultReply Envelope(JsonNode? data) => VaultReply.Logical(state.Envelope("approle", data));

    private VaultReply Login(JsonObject? body)
    {
        var roleId = JsonFields.String(body, "role_id");
        if (string.IsNullOrEmpty(roleId))
        {
            return VaultReply.BadRequest("missing role_id");
        }

        var role = Roles.Values.FirstOrDefault(r => r.RoleId == roleId);
        if (role is null)
        {
            return VaultReply.BadRequest(InvalidCredentials);
        }

        if (role.BindSecretId)
        {
            var secretId = JsonFields.String(body, "secret_id");
            if (string.IsNullOrEmpty(secretId))
            {
                return VaultReply.BadRequest("missing secret_id");
            }

            if (!role.SecretIds.TryGetValue(secretId, out var secret) || (secret.ExpireTime is { } expiry && expiry <= Now))
            {
                role.SecretIds.Remove(secretId);
                return VaultReply.BadRequest(InvalidCredentials);
            }

            if (secret.RemainingUses > 0 && --secret.RemainingUses == 0)
            {
                role.SecretIds.Remove(secretId);
            }
        }

        var token = state.Tokens.Create(["default", .. role.TokenPolicies], role.TokenTtl > TimeSpan.Zero ? role.TokenTtl : TokenStore.SystemMaxTtl,
            role.TokenMaxTtl, renewable: true, role.TokenNumUses, $"auth/{mountPath}login", "approle",
            new Dictionary<string, string> { ["role_name"] = role.Name }, orphan: true);
        return VaultReply.Logical(new VaultEnvelope { MountType = state.Options.IncludeMountType ? "approle" : null, Auth = AuthBlock.For(token, Now) });
    }

    private VaultReply ListRoles() => Roles.Count == 0
        ? VaultReply.NotFound()
        : Envelope(new JsonObject { ["keys"] = new JsonArray(Roles.Keys.Order(StringComparer.Ordinal).Select(k => (JsonNode?)JsonValue.Create(k)).ToArray()) });

    private VaultReply ReadRole(string name)
    {
        if (!Roles.TryGetValue(name, out var role))
        {
            return VaultReply.NotFound();
        }

        var policies = new JsonArray(role.TokenPolicies.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray());
        return Envelope(new JsonObject
        {
            ["bind_secret_id"] = role.BindSecretId,
            ["policies"] = policies,
            ["secret_id_num_uses"] = role.SecretIdNumUses,
            ["secret_id_ttl"] = (long)role.SecretIdTtl.TotalSeconds,
            ["token_max_ttl"] = (long)role.TokenMaxTtl.TotalSeconds,
            ["token_num_uses"] = role.TokenNumUses,
            ["token_policies"] = policies.DeepClone(),
            ["token_ttl"] = (long)role.TokenTtl.TotalSeconds,
        });
    }

    private VaultReply WriteRole(string name, JsonObject? body)
    {
        var role = Roles.GetValueOrDefault(name) ?? new AppRole { Name = name };
        if ((JsonFields.StringList(body, "token_policies") ?? JsonFields.StringList(body, "policies")) is { } policies)
        {
            role.TokenPolicies = policies;
        }

        role.TokenTtl = GoDuration.Parse(JsonFields.Get(body, "token_ttl")) ?? role.TokenTtl;
        role.TokenMaxTtl = GoDuration.Parse(JsonFields.Get(body, "token_max_ttl")) ?? role.TokenMaxTtl;
        role.TokenNumUses = (int)(JsonFields.Int(body, "token_num_uses") ?? role.TokenNumUses);
        role.SecretIdTtl = GoDuration.Parse(JsonFields.Get(body, "secret_id_ttl")) ?? role.SecretIdTtl;
        role.SecretIdNumUses = (int)(JsonFields.Int(body, "secret_id_num_uses") ?? role.SecretIdNumUses);
        role.BindSecretId = JsonFields.Bool(body, "bind_secret_id") ?? role.BindSecretId;
        Roles[name] = role;
        return VaultReply.NoContent();
    }

    private VaultReply DeleteRole(string name)
    {
        Roles.Remove(name);
        return VaultReply.NoContent();
    }

    private VaultReply SetRoleId(string name, JsonObject? body)
    {
        if (!Roles.TryGetValue(name, out var role))
        {
            return VaultReply.BadRequest($"role \"{name}\" does not exist");
        }

        var roleId = JsonFields.String(body, "role_id");
        if (string.IsNullOrEmpty(roleId))
        {
            return VaultReply.BadRequest("missing role_id");
        }

        role.RoleId = roleId;
        return VaultReply.NoContent();
    }

    private VaultReply GenerateSecretId(string name)
    {
        if (!Roles.TryGetValue(name, out var role))
        {
            return VaultReply.BadRequest($"role \"{name}\" does not exist");
        }

        var value = Guid.NewGuid().ToString();
        var accessor = Guid.NewGuid().ToString();
        role.SecretIds[value] = new AppRoleSecretId
        {
            Accessor = accessor,
            RemainingUses = role.SecretIdNumUses,
            ExpireTime = role.SecretIdTtl > TimeSpan.Zero ? Now + role.SecretIdTtl : null,
        };
        return Envelope(new JsonObject
        {
            ["secret_id"] = value,
            ["secret_id_accessor"] = accessor,
            ["secret_id_num_uses"] = role.SecretIdNumUses,
            ["secret_id_ttl"] = (long)role.SecretIdTtl.TotalSeconds,
        });
    }
}
