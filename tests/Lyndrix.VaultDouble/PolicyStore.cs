namespace Lyndrix.VaultDouble;

/// <summary>ACL policies by name. <c>root</c> is implicit and cannot be changed; <c>default</c> exists from the start and cannot be deleted.</summary>
internal sealed class PolicyStore
{
    // The part of Vault's built-in default policy that matters to a client: its own token endpoints and its cubbyhole.
    public const string DefaultPolicyText = """
        path "auth/token/lookup-self" { capabilities = ["read"] }
        path "auth/token/renew-self" { capabilities = ["update"] }
        path "auth/token/revoke-self" { capabilities = ["update"] }
        path "sys/capabilities-self" { capabilities = ["update"] }
        path "cubbyhole/*" { capabilities = ["create", "read", "update", "delete", "list"] }
        """;

    private readonly Dictionary<string, AclPolicy> _policies = new(StringComparer.Ordinal);

    public PolicyStore() => _policies["default"] = AclPolicyParser.Parse("default", DefaultPolicyText);

    public IEnumerable<string> Names => _policies.Keys.Append("root").Order(StringComparer.Ordinal);

    public AclPolicy? Get(string name) => _policies.GetValueOrDefault(name);

    /// <exception cref="FormatException">Invalid policy text.</exception>
    /// <exception cref="InvalidOperationException">The name is reserved.</exception>
    public void Put(string name, string text)
    {
        if (name == "root")
        {
            throw new InvalidOperationException("cannot update \"root\" policy");
        }

        _policies[name] = AclPolicyParser.Parse(name, text);
    }

    /// <exception cref="InvalidOperationException">The policy cannot be deleted.</exception>
    public void Delete(string name)
    {
        if (name is "root" or "default")
        {
            throw new InvalidOperationException($"cannot delete \"{name}\" policy");
        }

        _policies.Remove(name);
    }

    public AclEvaluator EvaluatorFor(IEnumerable<string> policyNames) =>
        new(policyNames.Select(Get).OfType<AclPolicy>());
}
