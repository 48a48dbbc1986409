namespace Lyndrix.VaultDouble;

/// <summary>A named ACL policy: its HCL text as written and the rules parsed from it.</summary>
internal sealed record AclPolicy(string Name, string Text, IReadOnlyList<AclRule> Rules);
