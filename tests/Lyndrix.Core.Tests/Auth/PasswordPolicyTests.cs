using Lyndrix.Core.Auth;

namespace Lyndrix.Core.Tests.Auth;

/// <summary>The passwords a careless operator or a user sets first, and an attacker tries first: each one refused with a
/// code that says why, and a detail that never repeats the password.</summary>
public class PasswordPolicyTests
{
    private static readonly PasswordPolicy Policy = new(PasswordPolicy.DefaultMinimumLength);

    private static string? Code(string user, string password) => Policy.Check(user, password)?.Code;

    [TestCase("Tr0ub4dor&3")] // 11 characters
    [TestCase("x9#Lm2!qP")]
    [TestCase("")]
    public void Shorter_than_the_minimum_is_refused(string password) =>
        Assert.That(Code("carol", password), Is.EqualTo("password_too_short"));

    [Test]
    public void Length_counts_characters_not_utf16_units()
    {
        // 11 emoji are 22 UTF-16 units: still 11 characters, one short.
        Assert.That(Code("carol", string.Concat(Enumerable.Repeat("\U0001F512", 11))), Is.EqualTo("password_too_short"));
        Assert.That(Code("carol", string.Concat(Enumerable.Repeat("\U0001F512", 12))), Is.Null);
    }

    [Test]
    public void A_megabyte_password_is_refused_before_any_work()
    {
        Assert.That(Code("carol", new string('x', PasswordPolicy.MaximumLength + 1)), Is.EqualTo("password_too_long"));
        Assert.That(Code("carol", new string('x', 1_000_000)), Is.EqualTo("password_too_long"));
    }

    [TestCase("admin", "admin-admin-2026")]
    [TestCase("admin", "MyADMINaccount#9")]
    [TestCase("carol.smith", "carol.smith.2026!")]
    [TestCase("deploy-robot", "xx-Deploy-Robot-xx")]
    [TestCase("admin", "\uFF41\uFF44\uFF4D\uFF49\uFF4E-\uFF12\uFF10\uFF12\uFF16-xy")] // full-width "admin-2026-xy"
    public void The_user_name_inside_the_password_is_refused(string user, string password) =>
        Assert.That(Code(user, password), Is.EqualTo("password_contains_user_name"));

    [TestCase("lyndrix-bot-2026")]
    [TestCase("LYNDRIX-LYNDRIX")]
    [TestCase("our-lyndrix-server")]
    [TestCase("lyndrix" + "lyndrix")]
    public void The_development_defaults_and_the_service_name_are_refused(string password) =>
        Assert.That(Code("carol", password), Is.EqualTo("password_contains_default"));

    [Test]
    public void Each_bootstrap_default_is_refused_even_where_length_allows_it()
    {
        var lenient = new PasswordPolicy(PasswordPolicy.LowestMinimumLength);
        Assert.That(lenient.Check("carol", AuthSettings.DefaultBotPassword)?.Code, Is.EqualTo("password_contains_default"));
        Assert.That(lenient.Check("carol", AuthSettings.DefaultAdminPassword + "1")?.Code, Is.EqualTo("password_contains_default"));
    }

    [TestCase("1qaz2wsx3edc4rfv")] // on the list as it is
    [TestCase("qwertyuiop123")] // a list entry with digits added
    [TestCase("Password2026!")]
    [TestCase("PASSWORD12345")]
    [TestCase("!Sunshine2026")]
    [TestCase("Football1234")]
    [TestCase("\uFF50\uFF41\uFF53\uFF53\uFF57\uFF4F\uFF52\uFF44\uFF12\uFF10\uFF12\uFF16")] // full-width "password2026"
    public void Common_passwords_and_their_usual_decorations_are_refused(string password) =>
        Assert.That(Code("carol", password), Is.EqualTo("password_too_common"));

    [Test]
    public void The_short_entries_of_the_list_count_when_the_minimum_allows_them()
    {
        var lenient = new PasswordPolicy(PasswordPolicy.LowestMinimumLength);
        Assert.That(lenient.Check("carol", "iloveyou")?.Code, Is.EqualTo("password_too_common"));
        Assert.That(lenient.Check("carol", "trustno1")?.Code, Is.EqualTo("password_too_common"));
        Assert.That(lenient.Check("carol", "letmein!!")?.Code, Is.EqualTo("password_too_common"));
    }

    [TestCase("correct horse battery staple")]
    [TestCase("vN7#qL2!xR9$wT")]
    [TestCase("tiger-58203-91746")] // a list word with far more than a few digits around it
    [TestCase("Zr4-second-very-long")]
    public void Long_uncommon_passwords_pass(string password) =>
        Assert.That(Policy.Check("carol", password), Is.Null);

    [Test]
    public void A_short_user_name_is_refused_only_as_the_whole_password()
    {
        var lenient = new PasswordPolicy(PasswordPolicy.LowestMinimumLength);
        // "al" is inside many good passwords; only "al" itself would be the name, and that is too short anyway.
        Assert.That(lenient.Check("al", "galactic-morsel"), Is.Null);
    }

    [Test]
    public void No_refusal_repeats_the_password()
    {
        string[] refused = ["Tr0ub4dor&3", "admin-admin-2026", "lyndrix-bot-2026", "Password2026!", new string('q', 2000)];
        foreach (var password in refused)
        {
            var refusal = Policy.Check("admin", password);
            Assert.That(refusal, Is.Not.Null, password);
            Assert.That(refusal!.Detail, Does.Not.Contain(password).IgnoreCase);
        }
    }

    [Test]
    public void The_shipped_list_is_there_and_large()
    {
        Assert.That(CommonPasswords.Count, Is.GreaterThan(40_000));
        Assert.That(CommonPasswords.Contains("123456"), Is.True);
    }

    [TestCase(7)]
    [TestCase(129)]
    public void A_policy_below_8_or_above_128_cannot_be_built(int minimum) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new PasswordPolicy(minimum));
}
