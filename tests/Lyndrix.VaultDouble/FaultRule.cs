namespace Lyndrix.VaultDouble;

/// <summary>A fault armed for the next <see cref="Remaining"/> matching requests.</summary>
internal sealed class FaultRule
{
    public required VaultFault Fault { get; init; }

    public required int Remaining { get; set; }

    /// <summary>Null matches any method.</summary>
    public string? Method { get; init; }

    /// <summary>Matched against the path below <c>/v1/</c>; null matches any path.</summary>
    public string? PathPrefix { get; init; }

    public bool Matches(string method, string path) =>
        Remaining > 0
        && (Method is null || string.Equals(Method, method, StringComparison.OrdinalIgnoreCase))
        && (PathPrefix is null || path.StartsWith(PathPrefix, StringComparison.Ordinal));
}
