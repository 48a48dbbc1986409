using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary><c>sys/policies/acl[/&lt;name&gt;]</c> (reference §6).</summary>
internal sealed class PolicyEndpoints(VaultState state)
{
    public bool Exists(string name) => state.Policies.Get(name.ToLowerInvariant()) is not null;

    public VaultReply List()
    {
        var names = new JsonArray(state.Policies.Names.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());
        return VaultReply.Logical(state.Envelope("system", new JsonObject { ["keys"] = names, ["policies"] = names.DeepClone() }));
    }

    public VaultReply Read(string name)
    {
        name = name.ToLowerInvariant();
        if (name == "root")
        {
            return VaultReply.Logical(state.Envelope("system", new JsonObject { ["name"] = "root", ["policy"] = "" }));
        }

        var policy = state.Policies.Get(name);
        return policy is null
            ? VaultReply.NotFound()
            : VaultReply.Logical(state.Envelope("system", new JsonObject { ["name"] = policy.Name, ["policy"] = policy.Text }));
    }

    public VaultReply Write(string name, JsonObject? body)
    {
        var text = JsonFields.String(body, "policy");
        if (string.IsNullOrWhiteSpace(text))
        {
            return VaultReply.BadRequest("'policy' parameter not supplied or empty");
        }

        try
        {
            state.Policies.Put(name.ToLowerInvariant(), text);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            return VaultReply.BadRequest(e.Message);
        }

        return VaultReply.NoContent();
    }

    public VaultReply Delete(string name)
    {
        try
        {
            state.Policies.Delete(name.ToLowerInvariant());
        }
        catch (InvalidOperationException e)
        {
            return VaultReply.BadRequest(e.Message);
        }

        return VaultReply.NoContent();
    }
}
