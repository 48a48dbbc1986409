namespace Lyndrix.VaultDouble;

/// <summary>What <c>sys/init</c> hands out: the root token and the unseal key shares (hex).</summary>
public sealed record VaultDoubleInitResult(string RootToken, IReadOnlyList<string> Keys)
{
    public override string ToString() => $"VaultDoubleInitResult(root_token=***, keys={Keys.Count} x ***)";
}
