using System.Text;

namespace Lyndrix.Core.Secrets.KeyFile;

/// <summary>
/// The original's master-key rules: at least 12 characters and at least 4 distinct characters. Characters are Unicode
/// code points, as Python's <c>len()</c> counts them. Every place that accepts a master key asks this class.
/// </summary>
internal static class MasterKeyPolicy
{
    public const int MinimumLength = 12;
    public const int MinimumDistinct = 4;

    public const string Rules = "at least 12 characters and at least 4 different characters";

    /// <summary>The rules for clients that check a key as it is typed (<c>GET /api/vault/status</c>, <c>key_policy</c>).</summary>
    public static readonly object Description = new { min_length = MinimumLength, min_distinct = MinimumDistinct, rules = Rules };

    /// <returns>Null when the key is acceptable, else what is wrong with it (never the key itself).</returns>
    public static string? Check(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return $"The master key is empty. Choose a passphrase of {Rules}.";
        }

        var runes = key.EnumerateRunes().ToList();
        if (runes.Count < MinimumLength)
        {
            return $"The master key is too short: it has {runes.Count} characters, and {MinimumLength} or more are required ({Rules}).";
        }

        var distinct = runes.Distinct().Count();
        if (distinct < MinimumDistinct)
        {
            return $"The master key is too repetitive: it uses only {distinct} different characters, and {MinimumDistinct} or more are required ({Rules}).";
        }

        return null;
    }

    /// <summary>Throws <see cref="KeyFileException"/> with <see cref="KeyFileProblem.WeakKey"/> when the key breaks the rules.</summary>
    public static void Ensure(string? key, string role = "master key")
    {
        var problem = Check(key);
        if (problem is not null)
        {
            throw new KeyFileException(KeyFileProblem.WeakKey, role == "master key" ? problem : problem.Replace("The master key", $"The {role}", StringComparison.Ordinal));
        }
    }

    internal static byte[] Utf8(string key) => Encoding.UTF8.GetBytes(key);
}
