namespace Lyndrix.VaultDouble;

/// <summary>One <c>path "..." { capabilities = [...] }</c> rule. A trailing <c>*</c> is a prefix match, a <c>+</c> segment matches
/// exactly one path segment.</summary>
internal sealed record AclRule(string Pattern, Capabilities Capabilities)
{
    public bool IsGlob => Pattern.EndsWith('*');

    /// <summary>The part of the pattern before its first wildcard.</summary>
    public string LiteralPrefix
    {
        get
        {
            var i = Pattern.IndexOfAny(['+', '*']);
            return i < 0 ? Pattern : Pattern[..i];
        }
    }

    public bool Matches(string path)
    {
        var body = IsGlob ? Pattern[..^1] : Pattern;
        if (!body.Contains('+', StringComparison.Ordinal))
        {
            return IsGlob ? path.StartsWith(body, StringComparison.Ordinal) : path == body;
        }

        var patternSegments = body.Split('/');
        var pathSegments = path.Split('/');
        if (IsGlob ? pathSegments.Length < patternSegments.Length : pathSegments.Length != patternSegments.Length)
        {
            return false;
        }

        for (var i = 0; i < patternSegments.Length; i++)
        {
            var last = i == patternSegments.Length - 1;
            if (patternSegments[i] == "+")
            {
                continue;
            }

            var ok = IsGlob && last
                ? pathSegments[i].StartsWith(patternSegments[i], StringComparison.Ordinal)
                : pathSegments[i] == patternSegments[i];
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Vault's priority order between two rules that both match (positive when <paramref name="a"/> wins):
    /// a later first wildcard wins, a non-glob beats a glob, fewer <c>+</c> wins, longer wins, then lexicographically larger.</summary>
    public static int ComparePriority(AclRule a, AclRule b)
    {
        int FirstWildcard(string p)
        {
            var i = p.IndexOfAny(['+', '*']);
            return i < 0 ? int.MaxValue : i;
        }

        var (wa, wb) = (FirstWildcard(a.Pattern), FirstWildcard(b.Pattern));
        if (wa != wb)
        {
            return wa > wb ? 1 : -1;
        }

        if (a.IsGlob != b.IsGlob)
        {
            return a.IsGlob ? -1 : 1;
        }

        var (pa, pb) = (a.Pattern.Count(c => c == '+'), b.Pattern.Count(c => c == '+'));
        if (pa != pb)
        {
            return pa < pb ? 1 : -1;
        }

        if (a.Pattern.Length != b.Pattern.Length)
        {
            return a.Pattern.Length > b.Pattern.Length ? 1 : -1;
        }

        return string.CompareOrdinal(a.Pattern, b.Pattern);
    }
}
