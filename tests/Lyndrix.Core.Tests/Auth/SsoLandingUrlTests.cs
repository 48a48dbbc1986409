using Lyndrix.Core.Auth;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Tests.Auth.Support;

namespace Lyndrix.Core.Tests.Auth;

/// <summary>Landing URLs a browser would read as another origin, each refused at start.</summary>
public class SsoLandingUrlTests
{
    [TestCase("//evil.example/")]
    [TestCase("/\\evil.example/")]
    [TestCase("/\\/evil.example/")]
    [TestCase("/\t/evil.example/")]
    [TestCase("/\n/evil.example/")]
    [TestCase("/\r\n/evil.example")]
    [TestCase(" /x")]
    [TestCase("/x y")]
    [TestCase("/x\u2028")]
    [TestCase("https://evil.example/")]
    [TestCase("javascript:alert(1)")]
    [TestCase("evil.example")]
    [TestCase("/x#frag")]
    public void Refuses_what_a_browser_reads_as_another_origin(string value)
    {
        Assert.That(SsoLandingUrl.Problem(value), Is.Not.Null);
        var ex = Assert.Throws<ConfigurationException>(() => AuthTestConfig.Settings(("LYNDRIX_SSO_COMPLETE_URL", value)));
        Assert.That(ex!.Message, Does.Contain("LYNDRIX_SSO_COMPLETE_URL"));
    }

    [TestCase("/")]
    [TestCase("/auth/complete")]
    [TestCase("/app/sso?from=oidc")]
    [TestCase("/a%2F%2Fb")]
    public void Accepts_same_origin_paths(string value)
    {
        Assert.That(SsoLandingUrl.Problem(value), Is.Null);
        Assert.That(AuthTestConfig.Settings(("LYNDRIX_SSO_COMPLETE_URL", value)).SsoCompleteUrl, Is.EqualTo(value));
    }
}
