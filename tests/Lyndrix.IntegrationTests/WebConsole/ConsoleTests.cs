using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Lyndrix.Core.Hosting.WebConsole;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Secrets.Http;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Tests.Support;
using Lyndrix.IntegrationTests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lyndrix.IntegrationTests.WebConsole;

/// <summary>
/// The operator console in a real browser: headless Chromium from the operating system, driven by Playwright. One browser
/// serves the whole class (a fresh context, so fresh cookies, per scenario); the scenarios that need no fresh deployment share
/// one development host. Every console page visited is scanned for accessibility, checked at phone size and saved as
/// screenshots (<see cref="ConsolePageCheck"/>).
/// </summary>
public sealed class ConsoleTests : ConsoleFixture
{
    private const string AdminPassword = "console-owner-Passw0rd";
    private const string BotPassword = "console-helper-Passw0rd";
    private const string MasterKey = "correct horse battery staple 42";

    private static readonly TimeSpan Boot = ConsoleBrowser.Boot;

    private ConsoleDeployment? _sharedDeployment;
    private RunningHost? _shared;

    protected override async Task DisposeSharedAsync()
    {
        if (_shared is not null)
        {
            await _shared.DisposeAsync();
        }

        _sharedDeployment?.Dispose();
    }

    [Test]
    public async Task A_fresh_production_deployment_is_set_up_unsealed_signed_into_managed_and_signed_out_in_the_browser()
    {
        var database = await ConsoleDatabase.CreateAsync("console_user");
        using var deployment = new ConsoleDeployment(new Dictionary<string, string>(database.Settings())
        {
            ["ENV_TYPE"] = "production",
            ["LYNDRIX_ADMIN_PASSWORD"] = AdminPassword,
            ["LYNDRIX_BOT_PASSWORD"] = BotPassword,
            // Which folders may load is its own feature (pins and signatures); here any folder in PLUGINS_DIR may.
            ["LYNDRIX_PLUGIN_TRUST"] = "any",
        });
        await using var tab = await Browser.OpenAsync();
        var page = tab.Page;

        // First run: no master key configured, so the console asks for the setup token and a master key.
        await using (var first = await deployment.StartAsync())
        {
            await page.GotoAsync(ConsoleDeployment.Url(first));
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "First-run setup" })).ToBeVisibleAsync();
            await Expect(page.GetByLabel("Setup token")).ToBeVisibleAsync();

            // The key policy is shown live as the key is typed.
            await page.Locator("#page-setup").GetByLabel("Master key", new() { Exact = true }).FillAsync("aaaaaaaaaaaaaaaa");
            await Expect(page.Locator("#policy-length")).ToHaveAttributeAsync("data-met", "true");
            await Expect(page.Locator("#policy-distinct")).ToHaveAttributeAsync("data-met", "false");
            await page.Locator("#page-setup").GetByLabel("Master key", new() { Exact = true }).FillAsync(MasterKey);
            await page.GetByLabel("Repeat the master key").FillAsync(MasterKey + "!");
            await Expect(page.Locator("#policy-distinct")).ToHaveAttributeAsync("data-met", "true");
            await Expect(page.Locator("#policy-match")).ToHaveAttributeAsync("data-met", "false");
            await page.GetByRole(AriaRole.Button, new() { Name = "Initialize the secret store" }).ClickAsync();
            await Expect(page.Locator("#setup-error")).ToContainTextAsync("differ");

            // A wrong setup token is refused with the host's own words, and nothing is initialized.
            await page.GetByLabel("Repeat the master key").FillAsync(MasterKey);
            await page.GetByLabel("Setup token").FillAsync("lyst_not-the-token");
            await page.GetByRole(AriaRole.Button, new() { Name = "Initialize the secret store" }).ClickAsync();
            await Expect(page.Locator("#setup-error")).ToContainTextAsync("setup token");
            Assert.That(File.Exists(Path.Combine(deployment.SecurityDir, VaultKeyFile.FileName)), Is.False, "a refused init writes no key file");

            await page.GetByLabel("Setup token").FillAsync(await File.ReadAllTextAsync(Path.Combine(deployment.SecurityDir, SetupToken.FileName)));
            await ConsolePageCheck.RunAsync(page, "01-setup");
            await page.GetByRole(AriaRole.Button, new() { Name = "Initialize the secret store" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync(new() { Timeout = (float)Boot.TotalMilliseconds });
            Assert.That(File.Exists(Path.Combine(deployment.SecurityDir, SetupToken.FileName)), Is.False, "the setup token is used up");
        }

        // After a restart the embedded store is sealed: the console asks for the master key.
        await using var second = await deployment.StartAsync();
        var url = ConsoleDeployment.Url(second);
        await page.GotoAsync(url);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Unseal" })).ToBeVisibleAsync();
        await ConsolePageCheck.RunAsync(page, "02-unseal");

        // A wrong master key shows the error and changes nothing.
        var keyFile = Path.Combine(deployment.SecurityDir, VaultKeyFile.FileName);
        var keyFileBefore = await File.ReadAllBytesAsync(keyFile);
        await page.Locator("#page-unseal").GetByLabel("Master key").FillAsync("not the master key at all");
        await page.GetByRole(AriaRole.Button, new() { Name = "Unseal" }).ClickAsync();
        await Expect(page.Locator("#unseal-error")).ToContainTextAsync("the master key is wrong or the file was altered");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Unseal" })).ToBeVisibleAsync();
        await ConsolePageCheck.RunAsync(page, "03-unseal-wrong-key");
        Assert.That(await File.ReadAllBytesAsync(keyFile), Is.EqualTo(keyFileBefore), "the key file is unchanged");
        using (var status = await second.Http.GetAsync(new Uri("/api/vault/status", UriKind.Relative)))
        {
            Assert.That(await status.Content.ReadAsStringAsync(), Does.Contain("\"ui_state\":\"needs_unseal\""), "the store is still sealed");
        }

        await page.Locator("#page-unseal").GetByLabel("Master key").FillAsync(MasterKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Unseal" }).ClickAsync();
        // (The boot steps page passes by too quickly here to be seen reliably: ConsoleHostStateTests holds a boot to show it.)
        var signIn = ConsoleBrowser.Heading(page, "Sign in");
        await Expect(signIn).ToBeVisibleAsync(new() { Timeout = (float)Boot.TotalMilliseconds });
        await ConsolePageCheck.RunAsync(page, "07-sign-in");

        // Sign in as the administrator: the dashboard lists the plugins with their actions.
        await ConsoleBrowser.SignInAsync(page, "admin", AdminPassword);
        var row = page.Locator($"#plugins tr[data-plugin='{ConsoleDeployment.PluginId}']");
        await Expect(row).ToContainTextAsync("active");
        await Expect(page.Locator("#card-database .value")).ToHaveTextAsync("Connected");
        await Expect(page.Locator("#card-database .detail")).ToContainTextAsync("MariaDB");
        await ConsolePageCheck.RunAsync(page, "08-dashboard");

        // Disable asks for confirmation first; cancelling changes nothing.
        await row.GetByRole(AriaRole.Button, new() { Name = "Disable Hello" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToBeVisibleAsync();
        await ConsolePageCheck.RunAsync(page, "09-confirm-disable");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        Assert.That(second.Get<PluginRuntime>().Get(ConsoleDeployment.PluginId)!.State, Is.EqualTo(PluginState.Active));

        await row.GetByRole(AriaRole.Button, new() { Name = "Disable Hello" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = $"Disable {ConsoleDeployment.PluginId}" }).ClickAsync();
        await Expect(row).ToContainTextAsync("disabled");
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Enable Hello" })).ToBeVisibleAsync();
        Assert.That(second.Get<PluginRuntime>().Get(ConsoleDeployment.PluginId)!.State, Is.EqualTo(PluginState.Disabled), "the host disabled it");
        await ConsolePageCheck.RunAsync(page, "10-plugin-disabled");

        // The live security feed shows the action and the plugin's new state as they happen; the audit trail has the record.
        var events = page.Locator("#events");
        await Expect(events.Locator("li[data-topic='security:admin_action']").Filter(new() { HasText = "action=plugin.disable" }))
            .ToContainTextAsync($"target={ConsoleDeployment.PluginId}");
        await Expect(events.Locator("li[data-topic='plugin:state_changed']").Filter(new() { HasText = $"plugin_id={ConsoleDeployment.PluginId}" }).First)
            .ToContainTextAsync("state=disabled");
        var audit = page.Locator("#audit-panel");
        await audit.GetByLabel("Action").FillAsync("plugin.disable");
        await audit.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(audit.Locator("#audit tbody tr")).ToHaveCountAsync(1);
        await Expect(audit.Locator("#audit tbody tr")).ToContainTextAsync(ConsoleDeployment.PluginId);
        await Expect(audit.Locator("#audit tbody tr")).ToContainTextAsync("admin");
        await audit.GetByRole(AriaRole.Button, new() { Name = "Verify the chain" }).ClickAsync();
        await Expect(page.Locator("#audit-verdict")).ToContainTextAsync("Intact");
        await ConsolePageCheck.RunAsync(page, "11-events-and-audit");

        // Sign out: the cookie is gone and its session is revoked on the host.
        var cookie = (await tab.Context.CookiesAsync([url])).Single(c => c.Name == "lyndrix_session");
        Assert.Multiple(() =>
        {
            Assert.That(cookie.HttpOnly, Is.True);
            Assert.That(cookie.SameSite, Is.EqualTo(SameSiteAttribute.Strict));
            Assert.That(cookie.Secure, Is.False, "plain HTTP on loopback: Secure would make the browser drop it");
        });
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(signIn).ToBeVisibleAsync();
        Assert.That((await tab.Context.CookiesAsync([url])).Select(c => c.Name), Does.Not.Contain("lyndrix_session"));
        using var replay = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        replay.Headers.Add("Cookie", $"lyndrix_session={cookie.Value}");
        Assert.That((await second.Http.SendAsync(replay)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the signed-out session is revoked");
    }

    [Test]
    public async Task A_non_admin_sees_no_admin_actions_and_the_host_refuses_them_anyway()
    {
        var host = await SharedHostAsync();
        await using var tab = await Browser.OpenAsync(ConsoleDeployment.Url(host));
        var page = tab.Page;
        await ConsoleBrowser.SignInAsync(page, "bot", "lyndrix-bot");

        await Expect(page.Locator("#user-role")).ToHaveTextAsync("User");
        await Expect(page.Locator("#plugins")).ToContainTextAsync("Only administrators");
        await Expect(page.Locator("#plugins button")).ToHaveCountAsync(0);
        await Expect(page.Locator("#plugins").GetByRole(AriaRole.Columnheader, new() { Name = "Actions" })).ToBeHiddenAsync();
        await Expect(page.Locator("#events-panel")).ToBeHiddenAsync();
        await Expect(page.Locator("#audit-panel")).ToBeHiddenAsync();
        await ConsolePageCheck.RunAsync(page, "12-dashboard-non-admin");

        // Even from the console's own page, with the session's CSRF token, the host refuses a non-admin's plugin action.
        var status = await page.EvaluateAsync<int>($$"""
            async () => {
              const me = await (await fetch('/api/auth/me')).json();
              const r = await fetch('/api/plugins/{{ConsoleDeployment.PluginId}}/disable', { method: 'POST', headers: { 'X-CSRF-Token': me.csrf_token } });
              return r.status;
            }
            """);
        Assert.That(status, Is.EqualTo(403));
        Assert.That(host.Get<PluginRuntime>().Get(ConsoleDeployment.PluginId)!.State, Is.EqualTo(PluginState.Active));
    }

    [Test]
    public async Task A_forged_cross_site_form_post_is_refused()
    {
        var host = await SharedHostAsync();
        var hostUrl = new Uri(ConsoleDeployment.Url(host));
        await using var tab = await Browser.OpenAsync(hostUrl.ToString());
        var page = tab.Page;
        await ConsoleBrowser.SignInAsync(page, "admin", "lyndrix");

        // The attacker's page auto-submits a form to the host's plugin action, as a victim who is signed in visits it. A
        // text/plain form can send a body that looks like JSON; the browser adds the session cookie whenever the attacker's
        // site counts as the same site (127.0.0.1 on another port does, SameSite or not), so only the host's checks stand.
        await using var attacker = await AttackerSite.StartAsync();
        attacker.Html = $$"""
            <!doctype html><html><body>
            <form method="post" enctype="text/plain" action="{{hostUrl}}api/plugins/{{ConsoleDeployment.PluginId}}/disable">
            <input type="hidden" name='{"force": "' value='yes"}'>
            </form>
            <script>document.forms[0].submit();</script>
            </body></html>
            """;
        foreach (var attackerHost in new[] { "127.0.0.1", "localhost" })
        {
            await page.GotoAsync($"http://{attackerHost}:{attacker.Port}/", new() { WaitUntil = WaitUntilState.Commit });
            // The browser lands on the host's answer: a problem, not the plugin's new state.
            await Expect(page.Locator("body")).ToContainTextAsync("foreign_origin");
            Assert.That(page.Url, Does.StartWith($"{hostUrl}api/plugins/"), $"from {attackerHost}");
            Assert.That(host.Get<PluginRuntime>().Get(ConsoleDeployment.PluginId)!.State, Is.EqualTo(PluginState.Active), $"from {attackerHost}");
        }

        Assert.That(host.Logs.AllText, Does.Contain($"/api/plugins/{ConsoleDeployment.PluginId}/disable refused (foreign_origin)"));
        // The host's problem answer, not a console page: recorded, not scanned.
        await ConsoleScreenshots.SaveAsync(page, "13-forged-post-refused");

        // The victim's own console still works: the same action from the host's page goes through.
        await page.GotoAsync(hostUrl.ToString());
        await Expect(ConsoleBrowser.Heading(page, "Dashboard")).ToBeVisibleAsync();
    }

    [Test]
    public async Task Your_sessions_are_listed_another_one_is_revoked_and_the_audit_trail_filters_find_it()
    {
        var host = await SharedHostAsync();

        // The same administrator signed in elsewhere: a bearer session with a label of its own.
        using var login = await host.Http.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "lyndrix", label = "phone in the hotel" });
        var other = await login.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.OK), other.ToString());
        var otherId = other.GetProperty("session_id").GetString()!;

        await using var tab = await Browser.OpenAsync(ConsoleDeployment.Url(host));
        var page = tab.Page;
        await ConsoleBrowser.SignInAsync(page, "admin", "lyndrix");

        var sessions = page.Locator("#sessions tbody tr");
        var otherRow = sessions.Filter(new() { Has = page.Locator($"button[data-session='{otherId}']") });
        await Expect(otherRow).ToContainTextAsync("phone in the hotel");
        var thisBrowser = sessions.Filter(new() { HasText = "(this browser)" });
        await Expect(thisBrowser).ToHaveCountAsync(1);
        await Expect(thisBrowser.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);

        await otherRow.GetByRole(AriaRole.Button, new() { Name = "Revoke session phone in the hotel" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("signed out at once");
        await ConsolePageCheck.RunAsync(page, "14-confirm-revoke");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Revoke session" }).ClickAsync();
        await Expect(otherRow).ToHaveCountAsync(0);
        await Expect(thisBrowser).ToHaveCountAsync(1);

        // Whoever held the other session is signed out at once.
        using var replay = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        replay.Headers.Authorization = new AuthenticationHeaderValue("Bearer", other.GetProperty("token").GetString());
        Assert.That((await host.Http.SendAsync(replay)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the revoked session is over");

        // The audit trail: action and actor find the revocation (the record reaches the database a moment after the request,
        // so the filter is applied again until it is there); a filter that matches nothing says so.
        var audit = page.Locator("#audit-panel");
        var rows = audit.Locator("#audit tbody tr");
        await audit.GetByLabel("Action").FillAsync("auth.session_revoke");
        await audit.GetByLabel("Actor").FillAsync("admin");
        await FilterAuditUntilAsync(page, rows, otherId);
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows).ToContainTextAsync("ok");
        await ConsolePageCheck.RunAsync(page, "15-audit-filtered");

        await audit.GetByLabel("Actor").FillAsync("somebody-else");
        await audit.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(rows).ToHaveTextAsync("No records match.");
        await audit.GetByLabel("Actor").FillAsync("admin");
        await audit.GetByLabel("Since").FillAsync("2999-01-01T00:00");
        await audit.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(rows).ToHaveTextAsync("No records match.");
    }

    // Presses Filter (waiting for each answer) until a row names the target, as an operator would; fails after the usual wait.
    private static async Task FilterAuditUntilAsync(IPage page, ILocator rows, string target)
    {
        var filter = page.Locator("#audit-panel").GetByRole(AriaRole.Button, new() { Name = "Filter" });
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await rows.Filter(new() { HasText = target }).CountAsync() == 0)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"no audit record names {target}");
            await page.RunAndWaitForResponseAsync(() => filter.ClickAsync(), r => r.Url.Contains("/api/audit?", StringComparison.Ordinal));
        }
    }

    [Test]
    public async Task The_console_loads_only_from_its_host_runs_no_injected_code_and_works_by_keyboard()
    {
        var host = await SharedHostAsync();
        var url = ConsoleDeployment.Url(host);
        await using var tab = await Browser.OpenAsync();
        var page = tab.Page;
        var requests = new List<string>();
        var violations = new List<string>();
        page.Request += (_, r) => requests.Add(r.Url);
        page.Console += (_, m) =>
        {
            if (m.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                violations.Add(m.Text);
            }
        };

        var response = await page.GotoAsync(url);
        Assert.That(await response!.HeaderValueAsync("content-security-policy"), Is.EqualTo(ConsoleEndpoints.ContentSecurityPolicy));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();

        // Keyboard only: the page puts the focus in its first field; Tab and Enter do the rest.
        await Expect(page.GetByLabel("User name")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("admin");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync("lyndrix");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" })).ToBeVisibleAsync();
        await Expect(page.Locator($"#plugins tr[data-plugin='{ConsoleDeployment.PluginId}']")).ToBeVisibleAsync();

        // The plugin actions too: Tab reaches them, Enter opens the confirmation with the focus on Cancel, Escape closes it
        // and gives the focus back, and nothing changed.
        var disable = page.GetByRole(AriaRole.Button, new() { Name = "Disable Hello" });
        for (var presses = 0; !await disable.EvaluateAsync<bool>("b => b === document.activeElement"); presses++)
        {
            Assert.That(presses, Is.LessThan(60), "Tab never reached the plugin's Disable button");
            await page.Keyboard.PressAsync("Tab");
        }

        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.GetByRole(AriaRole.Dialog)).ToBeHiddenAsync();
        await Expect(disable).ToBeFocusedAsync();
        Assert.That(host.Get<PluginRuntime>().Get(ConsoleDeployment.PluginId)!.State, Is.EqualTo(PluginState.Active));

        // An injected inline script does not run (the policy allows scripts from this origin's files only).
        var ran = await page.EvaluateAsync<bool>("""
            () => { const s = document.createElement('script'); s.textContent = 'window.injected = true'; document.body.append(s); return window.injected === true; }
            """);
        Assert.That(ran, Is.False, "an inline script ran despite the Content-Security-Policy");

        var origin = url.TrimEnd('/');
        Assert.Multiple(() =>
        {
            Assert.That(requests, Is.Not.Empty);
            Assert.That(requests.Where(r => !r.StartsWith(origin + "/", StringComparison.Ordinal)), Is.Empty, "everything comes from the host");
            Assert.That(violations, Is.Not.Empty.And.All.Contain("script-src"), "the injected script, and nothing else, was blocked");
        });
    }

    [Test]
    public async Task The_accessibility_scan_finds_an_unlabelled_field_and_text_too_faint_to_read()
    {
        // The scan every page passes (ConsolePageCheck) is only worth something if it fails: spoil a console page on purpose.
        var host = await SharedHostAsync();
        await using var tab = await Browser.OpenAsync(ConsoleDeployment.Url(host));
        var page = tab.Page;
        await ConsoleBrowser.ExpectPageAsync(page, "Sign in");
        Assert.That(await ConsolePageCheck.SeriousViolationsAsync(page, "sign-in"), Is.Empty);

        await page.EvaluateAsync("""
            () => {
              document.querySelector('label[for=signin-user]').remove();
              const p = document.createElement('p');
              p.textContent = 'Faint words';
              p.style.color = '#c8c8c8';
              document.querySelector('#signin-form').append(p);
            }
            """);
        var found = await ConsolePageCheck.SeriousViolationsAsync(page, "spoiled sign-in");
        Assert.That(found, Has.Some.Contains("'label'").And.Some.Contains("'color-contrast'"));
    }

    private async Task<RunningHost> SharedHostAsync()
    {
        if (_shared is null)
        {
            _sharedDeployment = new ConsoleDeployment(new Dictionary<string, string> { ["ENV_TYPE"] = "dev" });
            _shared = await _sharedDeployment.StartAsync();
            var boot = _shared.Get<Lyndrix.Core.Boot.BootState>();
            await Eventually.True(() => boot.Phase == Lyndrix.Core.Boot.BootPhase.Ready, "the shared development host finished booting", Boot.TotalSeconds);
        }

        return _shared;
    }
}
