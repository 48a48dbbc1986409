using System.Collections.Frozen;

namespace Lyndrix.Core.Auth;

/// <summary>
/// The common-password list shipped inside the host (<c>Auth/Resources/common-passwords.txt</c>, lower case, source written
/// at its top). Read once, on the first password a policy checks, so a host that never sets one never pays for it.
/// </summary>
internal static class CommonPasswords
{
    public const string ResourceName = "Lyndrix.Core.Auth.common-passwords.txt";

    private static readonly Lazy<FrozenSet<string>> Entries = new(Load);

    public static int Count => Entries.Value.Count;

    /// <summary>True when <paramref name="folded"/> (already lower-cased) is on the list.</summary>
    public static bool Contains(string folded) => Entries.Value.Contains(folded);

    private static FrozenSet<string> Load()
    {
        using var stream = typeof(CommonPasswords).Assembly.GetManifestResourceStream(ResourceName)
                           ?? throw new InvalidOperationException($"The resource {ResourceName} is missing from {typeof(CommonPasswords).Assembly.GetName().Name}; the build is broken.");
        using var reader = new StreamReader(stream);
        var entries = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && line[0] != '#')
            {
                entries.Add(line);
            }
        }

        return entries.ToFrozenSet(StringComparer.Ordinal);
    }
}
