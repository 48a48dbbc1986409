namespace Lyndrix.VaultDouble;

/// <summary>The effective ACL of a token: the rules of all its policies merged per pattern (identical patterns are unioned, a
/// <c>deny</c> among them wins), then the most specific matching rule decides.</summary>
internal sealed class AclEvaluator
{
    private readonly List<AclRule> _rules;

    public AclEvaluator(IEnumerable<AclPolicy> policies)
    {
        var merged = new Dictionary<string, Capabilities>(StringComparer.Ordinal);
        foreach (var rule in policies.SelectMany(p => p.Rules))
        {
            merged[rule.Pattern] = merged.GetValueOrDefault(rule.Pattern) | rule.Capabilities;
        }

        _rules = merged.Select(kv => new AclRule(kv.Key, kv.Value.HasFlag(Capabilities.Deny) ? Capabilities.Deny : kv.Value)).ToList();
    }

    public Capabilities CapabilitiesFor(string path)
    {
        AclRule? best = null;
        foreach (var rule in _rules)
        {
            if (rule.Matches(path) && (best is null || AclRule.ComparePriority(rule, best) > 0))
            {
                best = rule;
            }
        }

        return best?.Capabilities ?? Capabilities.None;
    }

    public bool Allows(string path, Capabilities needed)
    {
        var caps = CapabilitiesFor(path);
        return !caps.HasFlag(Capabilities.Deny) && (caps & needed) == needed;
    }

    /// <summary>Whether any rule grants something (not deny) at or below <paramref name="mountPath"/>: the check behind
    /// <c>sys/internal/ui/mounts/&lt;path&gt;</c>.</summary>
    public bool HasAnyAccessUnder(string mountPath) =>
        _rules.Any(r => r.Capabilities != Capabilities.None && !r.Capabilities.HasFlag(Capabilities.Deny)
                        && (r.LiteralPrefix.StartsWith(mountPath, StringComparison.Ordinal)
                            || (r.LiteralPrefix.Length < r.Pattern.Length && mountPath.StartsWith(r.LiteralPrefix, StringComparison.Ordinal))));
}
