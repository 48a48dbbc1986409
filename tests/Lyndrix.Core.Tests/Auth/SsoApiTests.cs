using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Web;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Plugins.Oidc;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Moq;

namespace Lyndrix.Core.Tests.Auth;

/// <summary>Single sign-on end to end over HTTP: host start → identity provider → callback bound to the browser → one-time
/// code → bearer token.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class SsoApiTests
{
    private TestOpenIdProvider _idp = null!;
    private AuthHost _host = null!;
    private HttpClient _browser = null!;

    [SetUp]
    public async Task SetUp()
    {
        _idp = await TestOpenIdProvider.StartAsync();
        _host = await AuthHost.StartAsync([("LYNDRIX_AUTH_PROVIDERS", "local,oidc"), ("LYNDRIX_SSO_COMPLETE_URL", "/signed-in")]);
        _browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() })
        {
            BaseAddress = _host.Client.BaseAddress,
        };

        // What the plugin runtime will do: set the module up with its context and let it register under its id.
        var settings = new Dictionary<string, string?>
        {
            ["issuer"] = _idp.Issuer, ["client_id"] = TestOpenIdProvider.ClientId, ["client_secret"] = TestOpenIdProvider.ClientSecret,
            ["redirect_uri"] = new Uri(_host.Client.BaseAddress!, "/auth/callback/oidc").AbsoluteUri, ["admin_groups"] = "lyndrix-admins",
        };
        var registry = _host.App.Services.GetRequiredService<IAuthProviderRegistry>();
        var context = new Mock<IModuleContext>();
        context.SetupGet(c => c.Settings).Returns(settings);
        context.SetupGet(c => c.Logger).Returns(_host.App.Services.GetRequiredService<ILoggerFactory>().CreateLogger(FirstPartyAuthModules.OidcModuleId));
        context.Setup(c => c.RegisterAuthProvider(It.IsAny<IAuthProvider>())).Callback<IAuthProvider>(p => registry.Register(FirstPartyAuthModules.OidcModuleId, p));
        await new OidcModule().SetupAsync(context.Object, CancellationToken.None);
    }

    [TearDown]
    public async Task TearDown()
    {
        _browser.Dispose();
        await _host.DisposeAsync();
        await _idp.DisposeAsync();
    }

    private async Task<HttpResponseMessage> ThroughIdentityProviderAsync()
    {
        var start = await _browser.GetAsync("/api/auth/sso/oidc/start");
        Assert.That(start.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await start.Content.ReadAsStringAsync());
        Assert.That(start.Headers.Location!.AbsoluteUri, Does.StartWith(_idp.Issuer + "/authorize"));
        var idp = await _browser.GetAsync(start.Headers.Location);
        Assert.That(idp.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        return idp;
    }

    [Test]
    public async Task A_browser_sign_in_ends_with_a_bearer_token_through_a_one_time_code()
    {
        _idp.Tweak = new TestOpenIdProvider.TokenTweak { Groups = ["lyndrix-admins"] };
        var idp = await ThroughIdentityProviderAsync();
        var callback = await _browser.GetAsync(idp.Headers.Location);
        Assert.That(callback.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await callback.Content.ReadAsStringAsync());
        Assert.That(callback.Headers.Location!.OriginalString, Does.StartWith("/signed-in?code="));
        var code = HttpUtility.ParseQueryString(callback.Headers.Location.OriginalString.Split('?')[1])["code"];
        var landing = await _browser.GetAsync(callback.Headers.Location);
        Assert.That(landing.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the host serves the landing page at the complete URL");
        Assert.That(await landing.Content.ReadAsStringAsync(), Does.Contain("/api/auth/token-exchange"));

        var exchange = await _browser.PostAsJsonAsync("/api/auth/token-exchange", new { code });
        Assert.That(exchange.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var body = await exchange.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(body.GetProperty("provider").GetString(), Is.EqualTo("oidc"));
        Assert.That(body.GetProperty("is_admin").GetBoolean(), Is.True);

        var me = await _host.Client.SendAsync(_host.Request(HttpMethod.Get, "/api/auth/me", body.GetProperty("token").GetString()));
        var meBody = await me.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(meBody.GetProperty("username").GetString(), Is.EqualTo("carol"));
        Assert.That(meBody.GetProperty("provider").GetString(), Is.EqualTo("oidc"));

        var again = await _browser.PostAsJsonAsync("/api/auth/token-exchange", new { code });
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "a code is good for one exchange");
    }

    [Test]
    public async Task The_landing_page_loads_nothing_and_runs_only_its_own_script()
    {
        var response = await _browser.GetAsync("/signed-in?code=some-code");
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/html"));
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));

        // What a browser would allow: the inline script and style only if their exact hashes are listed, nothing else at all.
        var script = Regex.Match(html, "<script>(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        var style = Regex.Match(html, "<style>(.*?)</style>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Multiple(() =>
        {
            Assert.That(csp, Does.Contain("default-src 'none'"));
            Assert.That(csp, Does.Contain($"script-src '{Sha256(script)}'"), "the served script is the hashed one");
            Assert.That(csp, Does.Contain($"style-src '{Sha256(style)}'"));
            Assert.That(csp, Does.Contain("connect-src 'self'").And.Contain("frame-ancestors 'none'").And.Contain("base-uri 'none'"));
            Assert.That(Regex.Matches(html, "<script"), Has.Count.EqualTo(1));
            Assert.That(html, Does.Not.Match("(src|action)\\s*="), "no external or same-origin assets");
            // One plain link back to the console, followed only when the user clicks it.
            Assert.That(Regex.Matches(html, "href\\s*=\\s*\"([^\"]*)\"").Select(m => m.Groups[1].Value), Is.EqualTo(new[] { "/" }));
            Assert.That(script, Does.Contain("history.replaceState"), "the code leaves the address bar and history");
            Assert.That(script.IndexOf("replaceState", StringComparison.Ordinal), Is.LessThan(script.IndexOf("fetch(", StringComparison.Ordinal)),
                "before the code is sent anywhere");
            Assert.That(response.Headers.CacheControl!.NoStore, Is.True);
            Assert.That(response.Headers.GetValues("Referrer-Policy").Single(), Is.EqualTo("no-referrer"));
            Assert.That(html, Does.Not.Contain("some-code"), "the page never echoes the code");
        });
    }

    [Test]
    public async Task By_default_sso_lands_on_the_host_s_own_landing_page()
    {
        await using var host = await AuthHost.StartAsync([("LYNDRIX_AUTH_PROVIDERS", "local")]);
        var response = await host.Client.GetAsync("/auth/complete");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Headers.Contains("Content-Security-Policy"), Is.True);
    }

    private static string Sha256(string text) =>
        "sha256-" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    [Test]
    public async Task A_callback_in_another_browser_is_refused()
    {
        var idp = await ThroughIdentityProviderAsync();
        var response = await _host.Client.GetAsync(idp.Headers.Location);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString(), Is.EqualTo("state_mismatch"));
    }

    [Test]
    public async Task A_forged_token_ends_in_a_refusal_without_a_code()
    {
        using var forger = System.Security.Cryptography.RSA.Create(2048);
        _idp.Tweak = new TestOpenIdProvider.TokenTweak { SigningKey = forger };
        var idp = await ThroughIdentityProviderAsync();
        var callback = await _browser.GetAsync(idp.Headers.Location);
        Assert.That(callback.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(_host.Logs.AllText, Does.Contain("signature"));
    }

    [Test]
    public async Task Sso_needs_the_provider_to_be_listed()
    {
        await using var host = await AuthHost.StartAsync([("LYNDRIX_AUTH_PROVIDERS", "local")]);
        var response = await host.Client.GetAsync("/api/auth/sso/oidc/start");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
