using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Web;
using Lyndrix.Core.Events;
using Lyndrix.Core.Tests.Support;
using Lyndrix.IntegrationTests.Support;
using Lyndrix.Sdk.Events;
using static Lyndrix.IntegrationTests.Support.OidcProviderServer;

namespace Lyndrix.IntegrationTests.Auth;

/// <summary>
/// Single sign-on of the whole host (the first-party OIDC module loaded from the host's modules folder) against an independently
/// written, OpenID Certified provider (npm <c>oidc-provider</c>), through the browser flow with a cookie-keeping client:
/// start → provider login and consent → callback → landing page → token exchange → <c>GET /api/auth/me</c>.
/// </summary>
[Category("Integration")]
public sealed class OidcCertifiedProviderTests
{
    private readonly List<IAsyncDisposable> _cleanup = [];

    [TearDown]
    public async Task TearDown()
    {
        foreach (var item in Enumerable.Reverse(_cleanup))
        {
            await item.DisposeAsync();
        }

        _cleanup.Clear();
    }

    private sealed record Rig(RunningHost Host, Uri BaseAddress, OidcProviderServer Provider);

    private sealed record SignedIn(JsonElement Exchange, JsonElement Me);

    /// <summary>A provider, then the host on a port chosen first (the provider registers the redirect URI before either starts).</summary>
    private async Task<Rig> StartAsync(string clientId, ClaimsSource claims = ClaimsSource.UserInfo, string[]? authMethods = null,
        string? userInfoSubject = null, params (string Name, string Value)[] extra)
    {
        var port = LoopbackPort.Free();
        var baseAddress = new Uri($"http://127.0.0.1:{port}");
        var provider = await OidcProviderServer.StartAsync(new Uri(baseAddress, "/auth/callback/oidc"), claims, authMethods, userInfoSubject);
        _cleanup.Add(provider);

        var root = TestSettings.TempDirectory();
        var host = await RunningHost.StartAsync(TestSettings.Host(root,
        [
            ("PORT", port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("LYNDRIX_BUILTIN_MODULES_DIR", RepositoryPaths.BuiltInModules()),
            ("LYNDRIX_AUTH_PROVIDERS", "local,oidc"),
            ("LYNDRIX_OIDC_ISSUER", provider.Issuer),
            ("LYNDRIX_OIDC_CLIENT_ID", clientId),
            ("LYNDRIX_OIDC_CLIENT_SECRET", provider.ClientSecret),
            ("LYNDRIX_OIDC_REDIRECT_URI", new Uri(baseAddress, "/auth/callback/oidc").AbsoluteUri),
            ("LYNDRIX_OIDC_ADMIN_GROUPS", AdminGroup),
            .. extra,
        ]));
        _cleanup.Add(host);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await host.Get<EventBus>().WaitForAsync(CoreTopics.SystemBootComplete, timeout.Token);
        return new Rig(host, baseAddress, provider);
    }

    /// <summary>The whole flow in a fresh browser; asserts each hop and returns the exchange's and /me's bodies.</summary>
    private static async Task<SignedIn> SignInAsync(Rig rig, string user, string password)
    {
        using var browser = new BrowserSession();
        var callbackUrl = await browser.ThroughProviderAsync(rig.BaseAddress, user, password);
        var code = await CallbackAsync(rig, browser, callbackUrl);
        return await RedeemAsync(rig, code);
    }

    /// <summary>The callback, the redirect to the landing page, and the page itself; returns the hand-off code.</summary>
    private static async Task<string> CallbackAsync(Rig rig, BrowserSession browser, Uri callbackUrl)
    {
        using var callback = await browser.Http.GetAsync(callbackUrl);
        Assert.That(callback.StatusCode, Is.EqualTo(HttpStatusCode.Redirect),
            $"{await callback.Content.ReadAsStringAsync()}\n{rig.Host.Logs.AllText}\n{rig.Provider.Output}");
        var landing = new Uri(rig.BaseAddress, callback.Headers.Location!);
        Assert.That(landing.AbsolutePath, Is.EqualTo("/auth/complete"));
        using var page = await browser.Http.GetAsync(landing);
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page.Headers.Contains("Content-Security-Policy"), Is.True);
        return HttpUtility.ParseQueryString(landing.Query)["code"]!;
    }

    private static async Task<SignedIn> RedeemAsync(Rig rig, string code)
    {
        using var exchange = await rig.Host.Http.PostAsJsonAsync("/api/auth/token-exchange", new { code });
        var body = await exchange.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(exchange.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("token").GetString());
        using var me = await rig.Host.Http.SendAsync(request);
        Assert.That(me.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return new SignedIn(body, await me.Content.ReadFromJsonAsync<JsonElement>());
    }

    private static void AssertAlice(SignedIn alice)
    {
        Assert.Multiple(() =>
        {
            Assert.That(alice.Me.GetProperty("username").GetString(), Is.EqualTo(AdminUser));
            Assert.That(alice.Me.GetProperty("display_name").GetString(), Is.EqualTo("Alice Liddell"));
            Assert.That(alice.Me.GetProperty("email").GetString(), Is.EqualTo("alice@example.org"));
            Assert.That(alice.Me.GetProperty("is_admin").GetBoolean(), Is.True, "her lyndrix-admins group maps to admin");
            Assert.That(alice.Me.GetProperty("provider").GetString(), Is.EqualTo("oidc"));
        });
    }

    [Test]
    public async Task Claims_served_only_at_userinfo_sign_in_with_client_secret_basic_picked_from_discovery()
    {
        var rig = await StartAsync("lyndrix-basic");
        AssertAlice(await SignInAsync(rig, AdminUser, AdminPassword));
        Assert.That(rig.Provider.Output, Does.Contain("TOKEN_AUTH client_secret_basic").And.Not.Contain("TOKEN_AUTH client_secret_post"));
        Assert.That(rig.Host.Logs.AllText, Does.Not.Contain(rig.Provider.ClientSecret));
    }

    [Test]
    public async Task Claims_only_in_the_id_token_sign_in_with_client_secret_post_picked_from_discovery()
    {
        var rig = await StartAsync("lyndrix-post", ClaimsSource.IdToken, authMethods: ["client_secret_post"]);
        AssertAlice(await SignInAsync(rig, AdminUser, AdminPassword));
        Assert.That(rig.Provider.Output, Does.Contain("TOKEN_AUTH client_secret_post").And.Not.Contain("TOKEN_AUTH client_secret_basic"));
    }

    [Test]
    public async Task Client_secret_post_is_used_when_configured_although_discovery_offers_basic()
    {
        var rig = await StartAsync("lyndrix-post", extra: ("LYNDRIX_OIDC_CLIENT_AUTH", "client_secret_post"));
        AssertAlice(await SignInAsync(rig, AdminUser, AdminPassword));
        Assert.That(rig.Provider.Output, Does.Contain("TOKEN_AUTH client_secret_post").And.Not.Contain("TOKEN_AUTH client_secret_basic"));
    }

    [Test]
    public async Task A_wrong_client_secret_is_refused_by_the_provider_and_never_logged()
    {
        var rig = await StartAsync("lyndrix-basic", extra: ("LYNDRIX_OIDC_CLIENT_SECRET", "Wrong-Secret-42"));
        using var browser = new BrowserSession();
        using var callback = await browser.Http.GetAsync(await browser.ThroughProviderAsync(rig.BaseAddress, AdminUser, AdminPassword));
        Assert.That(callback.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(rig.Host.Logs.AllText, Does.Contain("token endpoint answered 401 'invalid_client' to client_secret_basic"));
        Assert.That(rig.Host.Logs.AllText, Does.Not.Contain("Wrong-Secret-42"));
    }

    [Test]
    public async Task A_user_outside_the_admin_group_signs_in_as_a_plain_user()
    {
        var rig = await StartAsync("lyndrix-basic");
        var bob = await SignInAsync(rig, PlainUser, PlainPassword);
        Assert.Multiple(() =>
        {
            Assert.That(bob.Me.GetProperty("username").GetString(), Is.EqualTo(PlainUser));
            Assert.That(bob.Me.GetProperty("email").GetString(), Is.EqualTo("bob@example.org"));
            Assert.That(bob.Me.GetProperty("is_admin").GetBoolean(), Is.False);
            Assert.That(bob.Exchange.GetProperty("roles").EnumerateArray().Select(r => r.GetString()), Is.EqualTo(new[] { "user" }));
        });
    }

    [Test]
    public async Task Signing_keys_rotated_twice_within_a_minute_are_picked_up_at_once()
    {
        var rig = await StartAsync("lyndrix-basic");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        AssertAlice(await SignInAsync(rig, AdminUser, AdminPassword));
        var first = await rig.Provider.RotateKeyAsync();
        AssertAlice(await SignInAsync(rig, AdminUser, AdminPassword));
        var second = await rig.Provider.RotateKeyAsync();
        AssertAlice(await SignInAsync(rig, AdminUser, AdminPassword));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromMinutes(1)));
        Assert.That(rig.Host.Logs.AllText, Does.Contain($"key '{first}'").And.Contain($"key '{second}'"));
    }

    [Test]
    public async Task Replayed_state_code_and_hand_off_code_are_refused()
    {
        var rig = await StartAsync("lyndrix-basic");
        using var browser = new BrowserSession();
        var callbackUrl = await browser.ThroughProviderAsync(rig.BaseAddress, AdminUser, AdminPassword);
        var handOff = await CallbackAsync(rig, browser, callbackUrl);
        await RedeemAsync(rig, handOff);

        using (var again = await rig.Host.Http.PostAsJsonAsync("/api/auth/token-exchange", new { code = handOff }))
        {
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "a hand-off code is good once");
        }

        using (var replayedState = await browser.Http.GetAsync(callbackUrl))
        {
            Assert.That(replayedState.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "the state's cookie is gone after its callback");
        }

        // The old code under a fresh state of this browser: the state passes, the provider refuses the code.
        using var start = await browser.Http.GetAsync(new Uri(rig.BaseAddress, "/api/auth/sso/oidc/start"));
        var freshState = HttpUtility.ParseQueryString(start.Headers.Location!.Query)["state"];
        var usedCode = HttpUtility.ParseQueryString(callbackUrl.Query)["code"];
        using var replayedCode = await browser.Http.GetAsync(
            new Uri(rig.BaseAddress, $"/auth/callback/oidc?code={Uri.EscapeDataString(usedCode!)}&state={Uri.EscapeDataString(freshState!)}"));
        Assert.That(replayedCode.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(rig.Host.Logs.AllText, Does.Contain("token endpoint answered 400 'invalid_grant'"));
    }

    [Test]
    public async Task The_landing_page_takes_the_code_out_of_the_address_bar_before_it_redeems_it()
    {
        var rig = await StartAsync("lyndrix-basic");
        using var browser = new BrowserSession();
        using var callback = await browser.Http.GetAsync(await browser.ThroughProviderAsync(rig.BaseAddress, AdminUser, AdminPassword));
        var landing = new Uri(rig.BaseAddress, callback.Headers.Location!);
        var html = await browser.Http.GetStringAsync(landing);
        var script = System.Text.RegularExpressions.Regex.Match(html, "<script>(.*?)</script>", System.Text.RegularExpressions.RegexOptions.Singleline)
            .Groups[1].Value;

        var run = await LandingPageRunner.RunAsync(script, landing);

        var events = run.GetProperty("events").EnumerateArray().ToArray();
        Assert.That(events[0].TryGetProperty("replaceState", out var replaced), Is.True, run.ToString());
        Assert.That(replaced.GetString(), Is.EqualTo(new Uri(rig.BaseAddress, "/auth/complete").AbsoluteUri), "the code is gone from the address and history");
        var fetch = events.Single(e => e.TryGetProperty("fetch", out _));
        Assert.Multiple(() =>
        {
            Assert.That(fetch.GetProperty("fetch").GetString(), Is.EqualTo("/api/auth/token-exchange"));
            Assert.That(fetch.GetProperty("locationAtFetch").GetString(), Does.Not.Contain("code="));
            Assert.That(fetch.GetProperty("referrerPolicy").GetString(), Is.EqualTo("no-referrer"));
            Assert.That(run.GetProperty("status").GetString(), Is.EqualTo("Signed in as Alice Liddell. You can close this page."));
        });

        var session = JsonDocument.Parse(run.GetProperty("storage").GetProperty("lyndrix.session").GetString()!).RootElement;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.GetProperty("token").GetString());
        using var me = await rig.Host.Http.SendAsync(request);
        Assert.That(me.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the stored token is a working session");

        var again = await LandingPageRunner.RunAsync(script, landing);
        Assert.That(again.GetProperty("status").GetString(), Does.Contain("already used"), "a reload cannot redeem the code twice");
        Assert.That(again.GetProperty("storage").EnumerateObject(), Is.Empty);
    }

    [Test]
    public async Task A_provider_whose_userinfo_describes_another_subject_is_refused()
    {
        var rig = await StartAsync("lyndrix-basic", userInfoSubject: "bob");
        using var browser = new BrowserSession();
        using var callback = await browser.Http.GetAsync(await browser.ThroughProviderAsync(rig.BaseAddress, AdminUser, AdminPassword));
        Assert.That(callback.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(rig.Host.Logs.AllText, Does.Contain("userinfo endpoint describes sub 'bob', not the id_token's 'alice'"));
    }
}
