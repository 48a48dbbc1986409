namespace Lyndrix.Core.Modules;

/// <summary>
/// A dependency version range. Comparators joined by spaces must all hold (AND):
/// <c>*</c> (any), <c>1.2.3</c> or <c>=1.2.3</c> (exact), <c>1.2</c> / <c>1.x</c> (that minor / major),
/// <c>&gt;=</c>, <c>&gt;</c>, <c>&lt;=</c>, <c>&lt;</c>, <c>^1.2.3</c> (same major; for 0.x the same minor),
/// <c>~1.2.3</c> (same minor). Missing parts count as 0. As with npm, a pre-release version satisfies a range only
/// when a comparator names a pre-release of the same MAJOR.MINOR.PATCH (except <c>*</c>, which matches everything).
/// </summary>
internal sealed class VersionRange
{
    private readonly Comparator[] _comparators;
    private readonly string _text;

    private VersionRange(Comparator[] comparators, string text, bool any)
    {
        _comparators = comparators;
        _text = text;
        IsAny = any;
    }

    public bool IsAny { get; }

    public static VersionRange Any { get; } = new([], "*", any: true);

    public static VersionRange Parse(string text) =>
        TryParse(text, out var range, out var error) ? range : throw new FormatException(error);

    public static bool TryParse(string? text, out VersionRange range, out string error)
    {
        range = Any;
        error = "";
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length == 0 || trimmed == "*")
        {
            return true;
        }

        if (trimmed.Contains("||", StringComparison.Ordinal))
        {
            error = $"'{text}' uses '||', which is not supported: list one range of comparators joined by spaces (e.g. '>=1.2.0 <2.0.0').";
            return false;
        }

        var comparators = new List<Comparator>();
        foreach (var token in trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!TryParseToken(token, comparators))
            {
                error = $"'{token}' in version range '{text}' is not understood. Use '*', '1.2.3', '>=1.2.0 <2.0.0', '^1.2' or '~1.2.3'.";
                return false;
            }
        }

        range = new VersionRange([.. comparators], trimmed, any: false);
        return true;
    }

    public bool IsSatisfiedBy(SemanticVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (IsAny)
        {
            return true;
        }

        foreach (var c in _comparators)
        {
            if (!c.Matches(version))
            {
                return false;
            }
        }

        if (!version.IsPrerelease)
        {
            return true;
        }

        foreach (var c in _comparators)
        {
            if (c.Version.IsPrerelease && c.Version.Major == version.Major && c.Version.Minor == version.Minor && c.Version.Patch == version.Patch)
            {
                return true;
            }
        }

        return false;
    }

    public override string ToString() => _text;

    private static bool TryParseToken(string token, List<Comparator> into)
    {
        var op = token switch
        {
            _ when token.StartsWith(">=", StringComparison.Ordinal) => ">=",
            _ when token.StartsWith("<=", StringComparison.Ordinal) => "<=",
            _ when token.StartsWith('>') => ">",
            _ when token.StartsWith('<') => "<",
            _ when token.StartsWith('=') => "=",
            _ when token.StartsWith('^') => "^",
            _ when token.StartsWith('~') => "~",
            _ => "",
        };
        var body = token[op.Length..];
        if (body == "*" || body is "x" or "X")
        {
            // ">=*" and the like mean "any"; only a bare '*' is documented, but reading them as such is harmless.
            return op is "" or "=" or ">=" or "<=" or "^" or "~";
        }

        if (!TryParsePartial(body, out var version, out var given))
        {
            return false;
        }

        var (major, minor, patch) = (version.Major, version.Minor, version.Patch);
        switch (op)
        {
            case ">=":
                into.Add(new(Op.Ge, version));
                return true;
            case ">":
                // ">1.2" means above every 1.2.x.
                into.Add(given == 3 ? new(Op.Gt, version) : new(Op.Ge, Bump(major, minor, given)));
                return true;
            case "<":
                into.Add(new(Op.Lt, version));
                return true;
            case "<=":
                into.Add(given == 3 ? new(Op.Le, version) : new(Op.Lt, Bump(major, minor, given)));
                return true;
            case "" or "=":
                if (given == 3)
                {
                    into.Add(new(Op.Eq, version));
                }
                else
                {
                    into.Add(new(Op.Ge, version));
                    into.Add(new(Op.Lt, Bump(major, minor, given)));
                }

                return true;
            case "~":
                into.Add(new(Op.Ge, version));
                into.Add(new(Op.Lt, given == 1 ? SemanticVersion.Create(major + 1, 0, 0) : SemanticVersion.Create(major, minor + 1, 0)));
                return true;
            case "^":
                into.Add(new(Op.Ge, version));
                SemanticVersion upper;
                if (major > 0 || given == 1)
                {
                    upper = SemanticVersion.Create(major + 1, 0, 0);
                }
                else if (minor > 0 || given == 2)
                {
                    upper = SemanticVersion.Create(0, minor + 1, 0);
                }
                else
                {
                    upper = SemanticVersion.Create(0, 0, patch + 1);
                }

                into.Add(new(Op.Lt, upper));
                return true;
            default:
                return false;
        }
    }

    /// <summary>The first version above every version matching the given parts (<c>1.2</c> → 1.3.0, <c>1</c> → 2.0.0).</summary>
    private static SemanticVersion Bump(int major, int minor, int given) =>
        given == 1 ? SemanticVersion.Create(major + 1, 0, 0) : SemanticVersion.Create(major, minor + 1, 0);

    /// <summary>Reads <c>1</c>, <c>1.2</c>, <c>1.2.3</c>, <c>1.x</c>, <c>1.2.*</c> or a full version with pre-release;
    /// <paramref name="given"/> is how many numeric parts were written.</summary>
    private static bool TryParsePartial(string text, out SemanticVersion version, out int given)
    {
        given = 3;
        if (SemanticVersion.TryParse(text, out version))
        {
            return true;
        }

        var parts = text.Split('.');
        if (parts.Length is 0 or > 3)
        {
            return false;
        }

        var numbers = new int[3];
        given = 0;
        foreach (var part in parts)
        {
            if (part is "x" or "X" or "*")
            {
                break;
            }

            if (!SemanticVersion.TryNumber(part, out numbers[given]))
            {
                return false;
            }

            given++;
        }

        if (given == 0 || given == 3)
        {
            return false;
        }

        version = SemanticVersion.Create(numbers[0], numbers[1], numbers[2]);
        return true;
    }

    private enum Op
    {
        Eq,
        Gt,
        Ge,
        Lt,
        Le,
    }

    private readonly record struct Comparator(Op Op, SemanticVersion Version)
    {
        public bool Matches(SemanticVersion v)
        {
            var c = v.CompareTo(Version);
            return Op switch
            {
                Op.Eq => c == 0,
                Op.Gt => c > 0,
                Op.Ge => c >= 0,
                Op.Lt => c < 0,
                Op.Le => c <= 0,
                _ => false,
            };
        }
    }
}
