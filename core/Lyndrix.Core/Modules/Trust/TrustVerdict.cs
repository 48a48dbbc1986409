namespace Lyndrix.Core.Modules.Trust;

/// <summary>Whether a plugin folder may load, and why.</summary>
/// <param name="Allowed">The folder may load.</param>
/// <param name="Trust"><c>builtin</c>, <c>any</c>, <c>pinned</c>, <c>signed:&lt;key id&gt;</c> or <c>refused</c>.</param>
/// <param name="Reason">Why it was refused, naming the file or key; null when allowed.</param>
internal sealed record TrustVerdict(bool Allowed, string Trust, string? Reason)
{
    public static TrustVerdict Allow(string trust) => new(true, trust, null);

    public static TrustVerdict Refuse(string reason) => new(false, "refused", reason);
}
