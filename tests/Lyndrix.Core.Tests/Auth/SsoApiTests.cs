using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
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
