using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Lyndrix.Core.Tests.Support;
using Lyndrix.IntegrationTests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lyndrix.IntegrationTests.WebConsole;

/// <summary>
/// Single sign-on from the console in the browser, against the OpenID Certified provider <c>oidc-provider</c>
/// (<see cref="OidcProviderServer"/>): the button appears because OIDC is active, the provider's own pages take the password,
/// the host's landing page keeps the token for the tab, and the console runs on that bearer token (no cookie, no CSRF token).
/// </summary>
public sealed class ConsoleSsoTests : ConsoleFixture
{
    [Test]
    public async Task With_OIDC_active_the_sign_in_page_offers_single_sign_on_and_the_console_runs_on_its_token()
    {
        // The provider registers the redirect URI before either starts, so the host's port is chosen first.
        var port = LoopbackPort.Free();
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        var redirect = new Uri(baseAddress, "/auth/callback/oidc");
        await using var provider = await OidcProviderServer.StartAsync(redirect);
        using var deployment = new ConsoleDeployment(new Dictionary<string, string>
        {
            ["ENV_TYPE"] = "dev",
            ["PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["LYNDRIX_AUTH_PROVIDERS"] = "local,oidc",
            ["LYNDRIX_OIDC_ISSUER"] = provider.Issuer,
            ["LYNDRIX_OIDC_CLIENT_ID"] = "lyndrix-basic",
            ["LYNDRIX_OIDC_CLIENT_SECRET"] = provider.ClientSecret,
            ["LYNDRIX_OIDC_REDIRECT_URI"] = redirect.AbsoluteUri,
            ["LYNDRIX_OIDC_ADMIN_GROUPS"] = OidcProviderServer.AdminGroup,
            ["LYNDRIX_OIDC_DISPLAY_NAME"] = "Example ID",
        });
        await using var host = await deployment.StartAsync();
        await using var tab = await Browser.OpenAsync(baseAddress.ToString());
        var page = tab.Page;

        await ConsoleBrowser.ExpectPageAsync(page, "Sign in");
        var sso = page.GetByRole(AriaRole.Link, new() { Name = "Sign in with Example ID" });
        await Expect(sso).ToBeVisibleAsync();
        await ConsolePageCheck.RunAsync(page, "16-sign-in-sso");
        await sso.ClickAsync();

        // The provider's pages (its own markup, not the console's).
        await page.Locator("input[name=login]").FillAsync(OidcProviderServer.AdminUser);
        await page.Locator("input[name=password]").FillAsync(OidcProviderServer.AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Allow" }).ClickAsync();

        // Back on the host: its landing page redeems the hand-off code, then leads to the console.
        await Expect(page.Locator("#status")).ToHaveTextAsync("Signed in as Alice Liddell. You can close this page.");
        Assert.That(page.Url, Does.Not.Contain("code="), "the hand-off code left the address bar");
        await page.GetByRole(AriaRole.Link, new() { Name = "Open the console" }).ClickAsync();
        await Expect(ConsoleBrowser.Heading(page, "Dashboard")).ToBeVisibleAsync();
        await Expect(page.Locator("#user-name")).ToHaveTextAsync("Alice Liddell");
        await Expect(page.Locator("#user-role")).ToHaveTextAsync("Administrator");
        await Expect(page.Locator($"#plugins tr[data-plugin='{ConsoleDeployment.PluginId}']")).ToContainTextAsync("active");
        await Expect(page.Locator("#events li[data-topic='security:login_succeeded']").Filter(new() { HasText = "provider=oidc" }).First)
            .ToContainTextAsync("username=alice");
        Assert.That((await tab.Context.CookiesAsync([baseAddress.ToString()])).Select(c => c.Name), Does.Not.Contain("lyndrix_session"),
            "a single sign-on session is a bearer token in the tab, not a cookie");
        await ConsolePageCheck.RunAsync(page, "17-dashboard-sso");

        // Signing out ends the session on the host and forgets the token in the tab.
        var token = await page.EvaluateAsync<string>("() => JSON.parse(sessionStorage.getItem('lyndrix.session')).token");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await ConsoleBrowser.ExpectPageAsync(page, "Sign in");
        Assert.That(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('lyndrix.session')"), Is.Null);
        using var replay = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        replay.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.That((await host.Http.SendAsync(replay)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the signed-out token is revoked");
    }
}
