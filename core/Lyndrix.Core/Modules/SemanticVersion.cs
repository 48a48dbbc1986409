using System.Globalization;

namespace Lyndrix.Core.Modules;

/// <summary>A semantic version (semver 2.0): <c>MAJOR.MINOR.PATCH[-prerelease][+build]</c>, compared by precedence
/// (build metadata ignored, a pre-release sorts before its release).</summary>
internal sealed class SemanticVersion : IComparable<SemanticVersion>, IEquatable<SemanticVersion>
{
    private SemanticVersion(int major, int minor, int patch, string[] prerelease, string text)
    {
        Major = major;
        Minor = minor;
        Patch = patch;
        Prerelease = prerelease;
        Text = text;
    }

    public int Major { get; }

    public int Minor { get; }

    public int Patch { get; }

    public IReadOnlyList<string> Prerelease { get; }

    public bool IsPrerelease => Prerelease.Count > 0;

    private string Text { get; }

    public static SemanticVersion Create(int major, int minor, int patch) =>
        new(major, minor, patch, [], $"{major}.{minor}.{patch}");

    public static SemanticVersion Parse(string text) =>
        TryParse(text, out var v) ? v : throw new FormatException($"'{text}' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.2.3).");

    public static bool TryParse(string? text, out SemanticVersion version)
    {
        version = null!;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 256)
        {
            return false;
        }

        var core = text;
        var plus = core.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0)
        {
            if (!ValidIdentifiers(core[(plus + 1)..], numericRules: false))
            {
                return false;
            }

            core = core[..plus];
        }

        string[] prerelease = [];
        var dash = core.IndexOf('-', StringComparison.Ordinal);
        if (dash >= 0)
        {
            var pre = core[(dash + 1)..];
            if (!ValidIdentifiers(pre, numericRules: true))
            {
                return false;
            }

            prerelease = pre.Split('.');
            core = core[..dash];
        }

        var parts = core.Split('.');
        if (parts.Length != 3 || !TryNumber(parts[0], out var major) || !TryNumber(parts[1], out var minor) || !TryNumber(parts[2], out var patch))
        {
            return false;
        }

        version = new SemanticVersion(major, minor, patch, prerelease, text);
        return true;
    }

    /// <summary>A number without leading zeros, as semver requires.</summary>
    internal static bool TryNumber(string s, out int value)
    {
        value = 0;
        if (s.Length == 0 || (s.Length > 1 && s[0] == '0') || !s.All(char.IsAsciiDigit))
        {
            return false;
        }

        return int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool ValidIdentifiers(string s, bool numericRules)
    {
        if (s.Length == 0)
        {
            return false;
        }

        foreach (var id in s.Split('.'))
        {
            if (id.Length == 0 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return false;
            }

            if (numericRules && id.Length > 1 && id[0] == '0' && id.All(char.IsAsciiDigit))
            {
                return false;
            }
        }

        return true;
    }

    public int CompareTo(SemanticVersion? other)
    {
        if (other is null)
        {
            return 1;
        }

        var c = Major.CompareTo(other.Major);
        if (c == 0)
        {
            c = Minor.CompareTo(other.Minor);
        }

        if (c == 0)
        {
            c = Patch.CompareTo(other.Patch);
        }

        return c != 0 ? c : ComparePrerelease(Prerelease, other.Prerelease);
    }

    private static int ComparePrerelease(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        if (a.Count == 0 || b.Count == 0)
        {
            // A release sorts after any pre-release of the same version.
            return b.Count.CompareTo(a.Count);
        }

        for (var i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            var aNum = long.TryParse(a[i], NumberStyles.None, CultureInfo.InvariantCulture, out var an);
            var bNum = long.TryParse(b[i], NumberStyles.None, CultureInfo.InvariantCulture, out var bn);
            var c = (aNum, bNum) switch
            {
                (true, true) => an.CompareTo(bn),
                (true, false) => -1,
                (false, true) => 1,
                _ => string.CompareOrdinal(a[i], b[i]),
            };
            if (c != 0)
            {
                return c;
            }
        }

        return a.Count.CompareTo(b.Count);
    }

    public bool Equals(SemanticVersion? other) => other is not null && CompareTo(other) == 0;

    public override bool Equals(object? obj) => obj is SemanticVersion v && Equals(v);

    public override int GetHashCode() => HashCode.Combine(Major, Minor, Patch, string.Join('.', Prerelease));

    public override string ToString() => Text;

    public static bool operator <(SemanticVersion a, SemanticVersion b) => a.CompareTo(b) < 0;

    public static bool operator >(SemanticVersion a, SemanticVersion b) => a.CompareTo(b) > 0;

    public static bool operator <=(SemanticVersion a, SemanticVersion b) => a.CompareTo(b) <= 0;

    public static bool operator >=(SemanticVersion a, SemanticVersion b) => a.CompareTo(b) >= 0;

    public static bool operator ==(SemanticVersion? a, SemanticVersion? b) => a is null ? b is null : a.Equals(b);

    public static bool operator !=(SemanticVersion? a, SemanticVersion? b) => !(a == b);
}
