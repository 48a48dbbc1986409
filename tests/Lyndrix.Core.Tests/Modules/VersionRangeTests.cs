using Lyndrix.Core.Modules;

namespace Lyndrix.Core.Tests.Modules;

public sealed class VersionRangeTests
{
    [TestCase("1.2.3", true)]
    [TestCase("0.0.0", true)]
    [TestCase("1.2.3-beta.1+build.5", true)]
    [TestCase("1.2", false)]
    [TestCase("01.2.3", false)]
    [TestCase("1.2.3-", false)]
    [TestCase("1.2.3-01", false)]
    [TestCase("v1.2.3", false)]
    [TestCase("", false)]
    public void Parses_semantic_versions(string text, bool valid) =>
        Assert.That(SemanticVersion.TryParse(text, out _), Is.EqualTo(valid));

    [TestCase("1.0.0-alpha", "1.0.0-alpha.1")]
    [TestCase("1.0.0-alpha.1", "1.0.0-alpha.beta")]
    [TestCase("1.0.0-beta.2", "1.0.0-beta.11")]
    [TestCase("1.0.0-rc.1", "1.0.0")]
    [TestCase("1.9.0", "1.10.0")]
    public void Orders_by_semver_precedence(string lower, string higher) =>
        Assert.That(SemanticVersion.Parse(lower), Is.LessThan(SemanticVersion.Parse(higher)));

    [Test]
    public void Ignores_build_metadata_when_comparing() =>
        Assert.That(SemanticVersion.Parse("1.2.3+a"), Is.EqualTo(SemanticVersion.Parse("1.2.3+b")));

    [TestCase("*", "0.0.1", true)]
    [TestCase("*", "3.0.0-beta", true)]
    [TestCase("", "2.0.0", true)]
    [TestCase("1.2.3", "1.2.3", true)]
    [TestCase("=1.2.3", "1.2.4", false)]
    [TestCase("1.2", "1.2.9", true)]
    [TestCase("1.2", "1.3.0", false)]
    [TestCase("1.x", "1.9.0", true)]
    [TestCase("1.x", "2.0.0", false)]
    [TestCase(">=1.2.0", "1.2.0", true)]
    [TestCase(">1.2.0", "1.2.0", false)]
    [TestCase(">1.2", "1.2.9", false)]
    [TestCase(">1.2", "1.3.0", true)]
    [TestCase("<2.0.0", "1.99.0", true)]
    [TestCase("<=1.2", "1.2.7", true)]
    [TestCase("<=1.2", "1.3.0", false)]
    [TestCase(">=1.2.0 <2.0.0", "1.5.0", true)]
    [TestCase(">=1.2.0 <2.0.0", "2.0.0", false)]
    [TestCase(">=1.2.0 <2.0.0", "1.1.9", false)]
    [TestCase("^1.2.3", "1.9.9", true)]
    [TestCase("^1.2.3", "2.0.0", false)]
    [TestCase("^1.2.3", "1.2.2", false)]
    [TestCase("^0.2.3", "0.2.9", true)]
    [TestCase("^0.2.3", "0.3.0", false)]
    [TestCase("^0.0.3", "0.0.4", false)]
    [TestCase("^1.2", "1.2.0", true)]
    [TestCase("~1.2.3", "1.2.9", true)]
    [TestCase("~1.2.3", "1.3.0", false)]
    [TestCase("~1", "1.9.0", true)]
    [TestCase("^1.0.0", "2.0.0-beta", false)]
    [TestCase(">=1.0.0-beta", "1.0.0-rc.1", true)]
    [TestCase(">=1.0.0", "1.1.0-beta", false)]
    public void Checks_ranges(string range, string version, bool expected) =>
        Assert.That(VersionRange.Parse(range).IsSatisfiedBy(SemanticVersion.Parse(version)), Is.EqualTo(expected), $"{version} in '{range}'");

    [TestCase("1.0.0 || 2.0.0", "||")]
    [TestCase(">=banana", "banana")]
    [TestCase("1.2.3.4", "1.2.3.4")]
    [TestCase("^", "^")]
    [TestCase("1.0.0 - 2.0.0", "-")]
    public void Rejects_ranges_it_cannot_read_with_a_helpful_message(string range, string named)
    {
        Assert.That(VersionRange.TryParse(range, out _, out var error), Is.False);
        Assert.That(error, Does.Contain(named).And.Contain("Use").Or.Contain("not supported"));
    }
}
