using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Lyndrix.Core.Tests.Support;
using Lyndrix.IntegrationTests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Lyndrix.IntegrationTests.WebConsole;

/// <summary>
/// The console's pages for a host that cannot serve yet, reached on purpose rather than by luck: a boot held at the database
/// step by a database that is not reachable yet (a <see cref="TcpGate"/> in front of the real MariaDB, shut, then opened), a
/// database that stays down (maintenance, then recovery by itself), and a database that refuses the host's credentials
/// (maintenance that says what to fix). Each page is checked against what the API says at the same time.
/// </summary>
public sealed class ConsoleHostStateTests : ConsoleFixture
{
    [Test]
    public async Task A_boot_held_at_the_database_shows_each_step_what_it_waits_for_and_the_last_report_then_moves_on()
    {
        var database = await ConsoleDatabase.CreateAsync("console_boot");
        await using var gate = new TcpGate(new IPEndPoint(IPAddress.Loopback, database.Server.Port));
        // Quick retries, and enough of them that the boot stays on the database step (not maintenance) for as long as the
        // gate is shut.
        using var deployment = new ConsoleDeployment(new Dictionary<string, string>(database.Settings(port: gate.Port))
        {
            ["ENV_TYPE"] = "dev",
            ["DB_MAX_RETRIES"] = "1000",
            ["DB_RETRY_BASE_DELAY"] = "0.05",
            ["DB_RETRY_MAX_DELAY"] = "0.5",
        });
        await using var host = await deployment.StartAsync();
        await using var tab = await Browser.OpenAsync(ConsoleDeployment.Url(host));
        var page = tab.Page;

        await ConsoleBrowser.ExpectPageAsync(page, "Starting");
        var steps = page.Locator("#boot-steps tbody tr");
        var vault = steps.Filter(new() { Has = page.GetByRole(AriaRole.Rowheader, new() { Name = "vault", Exact = true }) });
        var db = steps.Filter(new() { Has = page.GetByRole(AriaRole.Rowheader, new() { Name = "database", Exact = true }) });
        var iam = steps.Filter(new() { Has = page.GetByRole(AriaRole.Rowheader, new() { Name = "iam", Exact = true }) });
        await Expect(page.Locator("#boot-phase")).ToHaveTextAsync("waiting_core");
        await Expect(vault.Locator(".tag")).ToHaveTextAsync("done");
        await Expect(db.Locator(".tag")).ToHaveTextAsync("waiting");
        await Expect(db).ToContainTextAsync("db:connected");
        await Expect(db).ToContainTextAsync(new Regex(@"\d+ s ago"));
        await Expect(db).ToContainTextAsync(new Regex(
            $@"attempt \d+ failed: Nothing accepts connections at {Regex.Escape($"{MariaDbServer.Host}:{gate.Port}")} \(connection refused\)"));
        await Expect(iam.Locator(".tag")).ToHaveTextAsync("pending");
        await Expect(iam).ToContainTextAsync("iam:ready");

        // The same steps, in the same order and states, as GET /api/boot.
        var boot = await host.Http.GetFromJsonAsync<JsonElement>("/api/boot");
        var api = boot.GetProperty("steps").EnumerateArray().Select(s => (s.GetProperty("name").GetString(), s.GetProperty("waits_for").GetString())).ToList();
        var shown = new List<(string?, string?)>();
        foreach (var row in await steps.AllAsync())
        {
            shown.Add((await row.Locator("th").TextContentAsync(), await row.Locator("td").First.TextContentAsync()));
        }

        Assert.That(shown, Is.EqualTo(api), "the page lists /api/boot's steps and what each waits for");
        await ConsolePageCheck.RunAsync(page, "04-boot");

        // The database comes up: the page follows the boot to the sign-in page by itself.
        gate.Open();
        await ConsoleBrowser.ExpectPageAsync(page, "Sign in");
        Assert.That(host.Get<Lyndrix.Core.Boot.BootState>().Phase, Is.EqualTo(Lyndrix.Core.Boot.BootPhase.Ready));
    }

    [Test]
    public async Task A_database_that_is_down_puts_the_console_in_maintenance_until_it_comes_back()
    {
        var database = await ConsoleDatabase.CreateAsync("console_down");
        await using var gate = new TcpGate(new IPEndPoint(IPAddress.Loopback, database.Server.Port));
        // No fast retries: the first refusal is maintenance ("max_retries"); the host keeps trying in the background.
        using var deployment = new ConsoleDeployment(new Dictionary<string, string>(database.Settings(port: gate.Port))
        {
            ["ENV_TYPE"] = "dev",
            ["DB_MAX_RETRIES"] = "0",
            ["DB_RECOVERY_INTERVAL"] = "0.5",
        });
        await using var host = await deployment.StartAsync();
        await using var tab = await Browser.OpenAsync(ConsoleDeployment.Url(host));
        var page = tab.Page;

        await ConsoleBrowser.ExpectPageAsync(page, "Maintenance");
        await Expect(page.Locator("#maintenance-locks")).ToHaveTextAsync("db (max_retries)");
        var refused = $"Nothing accepts connections at {MariaDbServer.Host}:{gate.Port} (connection refused)";
        await Expect(page.Locator("#maintenance-list li").Filter(new() { HasText = "database:" })).ToContainTextAsync(refused);
        var boot = await host.Http.GetFromJsonAsync<JsonElement>("/api/boot");
        Assert.That(Step(boot, "database").GetProperty("detail").GetString(), Does.Contain(refused), "the API's words");
        await ConsolePageCheck.RunAsync(page, "05-maintenance-database-down");

        gate.Open();
        await ConsoleBrowser.ExpectPageAsync(page, "Sign in");
    }

    [Test]
    public async Task Credentials_the_database_refuses_put_the_console_in_maintenance_with_what_to_fix_in_the_APIs_words()
    {
        var database = await ConsoleDatabase.CreateAsync("console_creds");
        const string wrongPassword = "not-the-db-Passw0rd";
        using var deployment = new ConsoleDeployment(new Dictionary<string, string>(database.Settings(password: wrongPassword)) { ["ENV_TYPE"] = "dev" });
        await using var host = await deployment.StartAsync();
        await using var tab = await Browser.OpenAsync(ConsoleDeployment.Url(host));
        var page = tab.Page;

        await ConsoleBrowser.ExpectPageAsync(page, "Maintenance");
        await Expect(page.Locator("#maintenance-locks")).ToHaveTextAsync("db (config_error)");
        using var health = await host.Http.GetAsync(new Uri("/api/health", UriKind.Relative));
        Assert.That((await health.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("maintenance").GetProperty("db").GetString(), Is.EqualTo("config_error"));

        // A configuration error is not retried, so the API's text stays put: the page shows it word for word. It says what
        // is wrong (access denied for the user) and what to do (check DB_USER and DB_PASSWORD, then restart).
        var detail = Step(await host.Http.GetFromJsonAsync<JsonElement>("/api/boot"), "database").GetProperty("detail").GetString()!;
        Assert.That(detail, Does.Contain($"refused the login of user '{database.User}'").And.Contain("DB_PASSWORD").And.Contain("then restart the host"));
        await Expect(page.Locator("#maintenance-list li").Filter(new() { HasText = "database:" })).ToHaveTextAsync("database: " + detail);
        var text = await page.Locator("body").InnerTextAsync();
        Assert.That(text, Does.Not.Contain(wrongPassword), "the console never shows the database password");
        await ConsolePageCheck.RunAsync(page, "06-maintenance-config-error");
        Assert.That(host.Logs.AllText, Does.Not.Contain(wrongPassword));
    }

    private static JsonElement Step(JsonElement boot, string name) =>
        boot.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);
}
