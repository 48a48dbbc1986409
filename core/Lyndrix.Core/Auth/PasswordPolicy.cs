using System.Text;

namespace Lyndrix.Core.Auth;

/// <summary>
/// The rules for every password the host sets on a local account (bootstrap accounts from the environment, the password
/// change API, and whatever sets one later), after OWASP ASVS 4 V2.1 and NIST SP 800-63B 5.1.1.2: a minimum length,
/// no user name, no development default or service name, nothing on the shipped list of common passwords (also not with a
/// few digits or symbols around it). Case and Unicode compatibility forms are folded first, so <c>PASSWORD2024!</c> and
/// full-width letters do not slip past. No composition rules (they make passwords harder to remember, not to guess).
/// </summary>
internal sealed class PasswordPolicy
{
    public const string MinLengthVariable = "LYNDRIX_PASSWORD_MIN_LENGTH";

    /// <summary>ASVS 4 V2.1.1: at least 12 characters.</summary>
    public const int DefaultMinimumLength = 12;

    /// <summary>No configuration may go below NIST's floor.</summary>
    public const int LowestMinimumLength = 8;

    public const int HighestMinimumLength = 128;

    /// <summary>Longer passwords are refused before hashing, so a request cannot make the server hash megabytes.</summary>
    public const int MaximumLength = 1024;

    /// <summary>How many digits or symbols around a common password still count as that password (<c>Password2024!</c>).</summary>
    private const int MaxDecoration = 5;

    /// <summary>Words no password may contain: the service's name and the development defaults of the bootstrap accounts,
    /// which are public (README) and so among an attacker's first guesses.</summary>
    private static readonly string[] ContextWords = ["lyndrix", AuthSettings.DefaultAdminPassword, AuthSettings.DefaultBotPassword];

    public PasswordPolicy(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumLength, LowestMinimumLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minimumLength, HighestMinimumLength);
        MinimumLength = minimumLength;
    }

    public int MinimumLength { get; }

    /// <summary>Null when <paramref name="password"/> may be set for <paramref name="userName"/>; otherwise why not.</summary>
    public PasswordRefusal? Check(string userName, string password)
    {
        if (password.Length > MaximumLength)
        {
            return new("password_too_long", $"The password is longer than {MaximumLength} characters; choose a shorter one.");
        }

        // Characters as people count them (code points), not UTF-16 units.
        if (password.EnumerateRunes().Count() < MinimumLength)
        {
            return new("password_too_short",
                $"The password is shorter than {MinimumLength} characters ({MinLengthVariable}). Several unrelated words make a long password that is easy to remember.");
        }

        var folded = Fold(password);
        var name = Fold(userName.Trim());
        if (name.Length > 0 && (name.Length >= 3 ? folded.Contains(name, StringComparison.Ordinal) : folded == name))
        {
            return new("password_contains_user_name",
                "The password contains the user name, one of the first guesses against any account. Choose one that does not.");
        }

        if (ContextWords.Any(w => folded.Contains(w, StringComparison.Ordinal)))
        {
            return new("password_contains_default",
                "The password contains 'lyndrix', the name of this service and of its published development default passwords, " +
                "which attackers try first. Choose one that does not.");
        }

        if (IsCommon(folded))
        {
            return new("password_too_common",
                "The password is on the list of common passwords this host refuses (or is one with a few digits or symbols added), " +
                "which attackers try first. Choose a longer, unrelated one; several random words work well.");
        }

        return null;
    }

    private static bool IsCommon(string folded)
    {
        if (CommonPasswords.Contains(folded))
        {
            return true;
        }

        var start = 0;
        var end = folded.Length;
        while (start < end && !char.IsLetter(folded[start]))
        {
            start++;
        }

        while (end > start && !char.IsLetter(folded[end - 1]))
        {
            end--;
        }

        var decoration = folded.Length - (end - start);
        return decoration is > 0 and <= MaxDecoration && end > start && CommonPasswords.Contains(folded[start..end]);
    }

    private static string Fold(string value)
    {
        try
        {
            return value.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            // Not valid UTF-16 (a lone surrogate): nothing on the lists can match it anyway.
            return value.ToLowerInvariant();
        }
    }
}
