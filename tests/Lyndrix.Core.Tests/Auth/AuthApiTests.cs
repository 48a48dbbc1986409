using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Tests.Auth.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Lyndrix.Core.Tests.Auth;

[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class AuthApiTests
{
    private const string AdminPassword = "Adm1n-Passw0rd-for-tests";
    private const string BotPassword = "B0t-Passw0rd-for-tests";

    private static readonly (string, string)[] Env =
    [
        ("LYNDRIX_ADMIN_PASSWORD", AdminPassword), ("LYNDRIX_BOT_PASSWORD", BotPassword),
        ("LYNDRIX_LOGIN_MAX_FAILURES_PER_USER", "3"), ("LYNDRIX_LOGIN_MAX_FAILURES_PER_CLIENT", "50"),
    ];

    private static void MapAdminProbe(WebApplication app) =>
        app.MapGroup("/api/test-admin").RequireLyndrixAdmin().MapGet("/", () => Results.Ok(new { ok = true }));

    private static async Task<JsonElement> Json(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    [Test]
    public async Task Login_returns_a_bearer_token_that_me_accepts()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var response = await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = AdminPassword });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var body = await Json(response);
        Assert.That(body.GetProperty("token_type").GetString(), Is.EqualTo("Bearer"));
        Assert.That(body.GetProperty("is_admin").GetBoolean(), Is.True);
        Assert.That(body.GetProperty("provider").GetString(), Is.EqualTo("local"));

        var me = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/auth/me", body.GetProperty("token").GetString()));
        Assert.That(me.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var meBody = await Json(me);
        Assert.That(meBody.GetProperty("username").GetString(), Is.EqualTo("admin"));
        Assert.That(meBody.GetProperty("session").GetProperty("id").GetString(), Is.EqualTo(body.GetProperty("session_id").GetString()));
    }

    [Test]
    public async Task Wrong_passwords_and_unknown_users_get_the_same_401()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var wrong = await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "nope-nope" });
        var unknown = await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "nobody", password = "nope-nope" });
        Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await wrong.Content.ReadAsStringAsync(), Is.EqualTo(await unknown.Content.ReadAsStringAsync()));
    }

    [TestCase("{\"username\": \"admin\"}", HttpStatusCode.BadRequest)]
    [TestCase("{\"username\": \"\", \"password\": \"x\"}", HttpStatusCode.BadRequest)]
    [TestCase("{not json", HttpStatusCode.BadRequest)]
    public async Task Malformed_login_requests_get_a_helpful_400(string body, HttpStatusCode expected)
    {
        await using var host = await AuthHost.StartAsync(Env);
        var response = await host.Client.PostAsync("/api/auth/login", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.That(response.StatusCode, Is.EqualTo(expected));
        Assert.That((await Json(response)).GetProperty("detail").GetString(), Does.Contain("username"));
    }

    [Test]
    public async Task Repeated_failures_are_throttled_with_retry_after()
    {
        await using var host = await AuthHost.StartAsync(Env);
        for (var i = 0; i < 3; i++)
        {
            var r = await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = $"guess-{i}" });
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }

        var blocked = await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "Admin", password = AdminPassword });
        Assert.That((int)blocked.StatusCode, Is.EqualTo(429));
        Assert.That(blocked.Headers.RetryAfter?.Delta?.TotalSeconds, Is.GreaterThan(0).And.LessThanOrEqualTo(300));
        Assert.That((await Json(blocked)).GetProperty("detail").GetString(), Does.Contain("Wait"));

        var otherUser = await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "bot", password = BotPassword });
        Assert.That(otherUser.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Guesses_spread_over_two_hosts_on_one_database_meet_one_per_account_limit()
    {
        // Two hosts behind a load balancer, one database: the attacker alternates between them.
        var storage = Directory.CreateTempSubdirectory("lyndrix-shared-db-").FullName;
        try
        {
            var users = new InMemoryUserStore();
            (string, string)[] env = [.. Env, ("STORAGE_DIR", storage)];
            await using var a = await AuthHost.StartAsync(env, users);
            await using var b = await AuthHost.StartAsync(env, users);
            foreach (var (host, i) in new[] { (a, 0), (b, 1), (a, 2) })
            {
                var r = await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = $"guess-{i}" });
                Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), $"guess {i}");
            }

            // B saw one failure itself; the limit (3) counts all three.
            var onB = await b.Client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = AdminPassword });
            Assert.That((int)onB.StatusCode, Is.EqualTo(429), "the account is throttled on the host that saw one guess");
            Assert.That(onB.Headers.RetryAfter?.Delta?.TotalSeconds, Is.GreaterThan(0).And.LessThanOrEqualTo(300));
            var otherUser = await b.Client.PostAsJsonAsync("/api/auth/login", new { username = "bot", password = BotPassword });
            Assert.That(otherUser.StatusCode, Is.EqualTo(HttpStatusCode.OK), "other accounts are not affected");
        }
        finally
        {
            Directory.Delete(storage, recursive: true);
        }
    }

    [Test]
    public async Task Logout_revokes_the_token()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var token = await host.LoginAsync("admin", AdminPassword);
        var logout = await host.Client.SendAsync(host.Request(HttpMethod.Post, "/api/auth/logout", token));
        Assert.That(logout.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var me = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/auth/me", token));
        Assert.That(me.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(me.Headers.WwwAuthenticate.ToString(), Does.Contain("Bearer"));
        Assert.That((await Json(me)).GetProperty("detail").GetString(), Does.Contain("POST /api/auth/login"));
    }

    [Test]
    public async Task Users_list_and_revoke_only_their_own_sessions()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var first = await host.LoginAsync("admin", AdminPassword);
        var second = await host.LoginAsync("admin", AdminPassword);
        var bot = await host.LoginAsync("bot", BotPassword);

        var list = await Json(await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/auth/sessions", first)));
        var sessions = list.GetProperty("sessions").EnumerateArray().ToArray();
        Assert.That(sessions, Has.Length.EqualTo(2));
        Assert.That(sessions.Count(s => s.GetProperty("current").GetBoolean()), Is.EqualTo(1));
        var secondId = sessions.Single(s => !s.GetProperty("current").GetBoolean()).GetProperty("id").GetString();

        var byBot = await host.Client.SendAsync(host.Request(HttpMethod.Delete, $"/api/auth/sessions/{secondId}", bot));
        Assert.That(byBot.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/auth/me", second))).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var own = await host.Client.SendAsync(host.Request(HttpMethod.Delete, $"/api/auth/sessions/{secondId}", first));
        Assert.That(own.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/auth/me", second))).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/auth/me", first))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task The_admin_filter_refuses_anonymous_callers_and_non_admins()
    {
        await using var host = await AuthHost.StartAsync(Env, map: MapAdminProbe);
        var anonymous = await host.Client.GetAsync("/api/test-admin/");
        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        var bot = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/test-admin/", await host.LoginAsync("bot", BotPassword)));
        Assert.That(bot.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await Json(bot)).GetProperty("detail").GetString(), Does.Contain("administrator"));

        var forged = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/test-admin/", "lys_" + new string('A', 43)));
        Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        var admin = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/test-admin/", await host.LoginAsync("admin", AdminPassword)));
        Assert.That(admin.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Providers_lists_the_chain_state()
    {
        await using var host = await AuthHost.StartAsync([.. Env, ("LYNDRIX_AUTH_PROVIDERS", "ldap,local")]);
        var body = await Json(await host.Client.GetAsync("/api/auth/providers"));
        var providers = body.GetProperty("providers").EnumerateArray().ToDictionary(p => p.GetProperty("id").GetString()!, p => p.GetProperty("state").GetString());
        Assert.That(providers["ldap"], Is.EqualTo("not_registered"));
        Assert.That(providers["local"], Is.EqualTo("active"));
        Assert.That(body.GetProperty("source").GetString(), Is.EqualTo("LYNDRIX_AUTH_PROVIDERS"));
        Assert.That(body.GetProperty("local_fallback").GetBoolean(), Is.False);
    }

    [Test]
    public async Task A_changed_password_survives_a_restart_with_the_same_environment()
    {
        var users = new InMemoryUserStore();
        var sessions = new InMemorySessionStore();
        await using (var host = await AuthHost.StartAsync(Env, users, sessions))
        {
            var token = await host.LoginAsync("admin", AdminPassword);
            var other = await host.LoginAsync("admin", AdminPassword);
            var change = host.Request(HttpMethod.Post, "/api/auth/password", token);
            change.Content = JsonContent.Create(new { current_password = AdminPassword, new_password = "a-new-password-123" });
            var response = await host.Client.SendAsync(change);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await response.Content.ReadAsStringAsync());
            Assert.That((await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/auth/me", other))).StatusCode,
                Is.EqualTo(HttpStatusCode.Unauthorized), "other sessions end when the password changes");
            Assert.That((await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/auth/me", token))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        await using (var restarted = await AuthHost.StartAsync(Env, users, sessions))
        {
            Assert.That(await restarted.LoginAsync("admin", "a-new-password-123"), Is.Not.Empty);
            var old = await restarted.Client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = AdminPassword });
            Assert.That(old.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }
    }

    [Test]
    public async Task Password_change_checks_the_current_password_and_the_new_length()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var token = await host.LoginAsync("bot", BotPassword);
        async Task<HttpStatusCode> Change(string current, string fresh)
        {
            var request = host.Request(HttpMethod.Post, "/api/auth/password", token);
            request.Content = JsonContent.Create(new { current_password = current, new_password = fresh });
            return (await host.Client.SendAsync(request)).StatusCode;
        }

        Assert.That(await Change("wrong-current", "long-enough-1"), Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await Change(BotPassword, "short"), Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await Change(BotPassword, "long-enough-1"), Is.EqualTo(HttpStatusCode.NoContent));
    }

    // A signed-in user (or whoever holds their token) sets the passwords people reach for first.
    [TestCase("short-pw", "password_too_short")]
    [TestCase("bot-is-my-name", "password_contains_user_name")]
    [TestCase("our-lyndrix-server", "password_contains_default")]
    [TestCase("Password2026!", "password_too_common")]
    public async Task A_weak_new_password_is_refused_with_its_code_and_the_old_one_keeps_working(string weak, string code)
    {
        await using var host = await AuthHost.StartAsync(Env);
        var token = await host.LoginAsync("bot", BotPassword);
        var request = host.Request(HttpMethod.Post, "/api/auth/password", token);
        request.Content = JsonContent.Create(new { current_password = BotPassword, new_password = weak });
        var response = await host.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        var text = await response.Content.ReadAsStringAsync();
        var body = JsonDocument.Parse(text).RootElement;
        Assert.That(body.GetProperty("code").GetString(), Is.EqualTo(code));
        Assert.That(body.GetProperty("type").GetString(), Is.EqualTo("urn:lyndrix:problem:" + code));
        Assert.That(text, Does.Not.Contain(weak).IgnoreCase, "the refusal never repeats the password");
        Assert.That(await host.LoginAsync("bot", BotPassword), Is.Not.Empty, "nothing changed: the old password still signs in");
        var weakLogin = await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "bot", password = weak });
        Assert.That(weakLogin.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(host.Logs.AllText, Does.Not.Contain(weak).IgnoreCase);
    }

    [Test]
    public async Task The_configured_minimum_length_applies_to_the_api()
    {
        await using var host = await AuthHost.StartAsync([.. Env, ("LYNDRIX_PASSWORD_MIN_LENGTH", "24")]);
        var token = await host.LoginAsync("bot", BotPassword);
        var request = host.Request(HttpMethod.Post, "/api/auth/password", token);
        request.Content = JsonContent.Create(new { current_password = BotPassword, new_password = "an-uncommon-23-chars-pw" });
        var response = await host.Client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await Json(response)).GetProperty("detail").GetString(), Does.Contain("24 characters"));
    }

    [Test]
    public async Task No_password_reaches_any_log()
    {
        const string wrongGuess = "a-wrong-guess-xyz";
        const string newPassword = "renamed-password-456";
        await using var host = await AuthHost.StartAsync(Env);
        var token = await host.LoginAsync("admin", AdminPassword);
        await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = wrongGuess });
        await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "nobody", password = wrongGuess });
        var change = host.Request(HttpMethod.Post, "/api/auth/password", token);
        change.Content = JsonContent.Create(new { current_password = AdminPassword, new_password = newPassword });
        await host.Client.SendAsync(change);
        await host.App.StopAsync();

        var logsDir = host.App.Services.GetRequiredService<Lyndrix.Core.Configuration.HostSettings>().LogsDir;
        var logText = host.Logs.AllText + string.Concat(Directory.GetFiles(logsDir, "*", SearchOption.AllDirectories).Select(File.ReadAllText));
        Assert.That(logText, Does.Contain("LOGIN_FAILED").And.Contain("Password of 'admin' changed"), "the scenario did log");
        foreach (var secret in new[] { AdminPassword, BotPassword, wrongGuess, newPassword })
        {
            Assert.That(logText, Does.Not.Contain(secret));
        }
    }

    [Test]
    public async Task Login_waits_for_iam_with_a_503()
    {
        var users = new InMemoryUserStore { FailWith = new InvalidOperationException("database is down") };
        await using var host = await AuthHost.StartAsync(Env, users, waitForIam: false,
            services: s => s.AddSingleton(new IamRetryDelays([TimeSpan.FromMilliseconds(50)])));
        var response = await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = AdminPassword });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That((await Json(response)).GetProperty("detail").GetString(), Does.Contain("/api/boot"));

        // IAM starts only after the secret store is open (a real init takes a moment): let it fail once before the database "recovers".
        await Lyndrix.Core.Tests.Support.Eventually.True(() => host.Logs.AllText.Contains("IAM could not start: database is down", StringComparison.Ordinal), "IAM's first failed start");
        users.FailWith = null;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await host.Bus.WaitForAsync(Sdk.Events.CoreTopics.IamReady, cts.Token);
        Assert.That(host.Logs.AllText, Does.Contain("IAM could not start: database is down"));
        Assert.That(await host.LoginAsync("admin", AdminPassword), Is.Not.Empty);
    }
}
