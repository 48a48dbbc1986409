using Lyndrix.Core.Secrets.KeyFile;

namespace Lyndrix.Core.Tests.Secrets.KeyFile;

public class MasterKeyPolicyTests
{
    [TestCase("correct horse battery", true)]
    [TestCase("abcdabcdabcd", true)]
    [TestCase("123456789012", true)]
    [TestCase("ääääöööüüüßß", true)]
    [TestCase("abcabcabcabc", false)]
    [TestCase("aaaaaaaaaaaaaaaaaaaa", false)]
    [TestCase("short-key!1", false)]
    [TestCase("", false)]
    [TestCase(null, false)]
    public void Keys_need_twelve_characters_and_four_distinct_ones(string? key, bool accepted)
    {
        var problem = MasterKeyPolicy.Check(key);
        Assert.That(problem is null, Is.EqualTo(accepted), problem);
        if (problem is not null && !string.IsNullOrEmpty(key))
        {
            Assert.That(problem, Does.Not.Contain(key));
        }
    }

    [Test]
    public void Astral_characters_count_once_as_Python_counts_them()
    {
        // 11 code points, 22 UTF-16 units: too short for the original.
        Assert.That(MasterKeyPolicy.Check("😀😁😂🤣😃😄😅😆😉😊😋"), Does.Contain("11 characters"));
    }

    [Test]
    public void Encrypting_with_a_weak_key_is_refused()
    {
        var ex = Assert.Throws<KeyFileException>(() => KeyFileCodec.Encrypt([1, 2, 3], "weak", new Argon2Parameters(1, 64, 1)))!;
        Assert.That(ex.Problem, Is.EqualTo(KeyFileProblem.WeakKey));
    }
}
