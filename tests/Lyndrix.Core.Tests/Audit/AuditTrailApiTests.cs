using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lyndrix.Core.Audit;
using Lyndrix.Core.Cli;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Data;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Security;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Lyndrix.Core.Tests.Audit;

/// <summary>The audit trail in a real host on SQLite: what is recorded, the filterable API, and an attacker with write access to
/// the database file who edits, deletes or truncates records.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class AuditTrailApiTests
{
    private const string AdminPassword = "Adm1n-Passw0rd-for-tests";
    private const string SecretValue = "s3cr3t-value-that-must-never-be-audited";

    private static readonly (string, string)[] Env =
    [
        ("LYNDRIX_ADMIN_PASSWORD", AdminPassword), ("LYNDRIX_BOT_PASSWORD", "B0t-Passw0rd-for-tests"),
        ("LYNDRIX_LOGIN_MAX_FAILURES_PER_USER", "50"), ("LYNDRIX_LOGIN_MAX_FAILURES_PER_CLIENT", "50"),
    ];

    [Test]
    public async Task Logins_secret_reads_and_writes_and_admin_actions_are_recorded_without_values_and_can_be_filtered()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var token = await host.LoginAsync("admin", AdminPassword);
        await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "wrong-guess" });
        var scope = host.App.Services.GetRequiredService<IModuleSecretScopeFactory>().For(new ModuleManifest { Id = "audit.probe", Name = "p", Version = "1.0.0" });
        await scope.SetAsync("api_key", SecretValue, CancellationToken.None);
        Assert.That(await scope.GetAsync("api_key", CancellationToken.None), Is.EqualTo(SecretValue));
        await scope.GetAsync("absent", CancellationToken.None);
        // The runtime answers 409 until its first start has finished; the host serves requests before that.
        await Eventually.True(() => host.App.Services.GetRequiredService<Lyndrix.Core.Modules.PluginRuntime>().IsStarted, "the plugins have started", 30);
        using var rescan = await host.Client.SendAsync(host.Request(HttpMethod.Post, "/api/plugins/rescan", token));

        var probe = await EventuallyEntriesAsync(host, token, "?module=audit.probe", 3);
        var all = await EntriesAsync(host, token, "?limit=1000");
        Assert.Multiple(() =>
        {
            Assert.That(probe.Select(e => (e.GetProperty("action").GetString(), e.GetProperty("target").GetString(), e.GetProperty("outcome").GetString())),
                Is.EqualTo(new[]
                {
                    ("secret.write", "plugins/audit.probe#api_key", "ok"),
                    ("secret.read", "plugins/audit.probe#api_key", "ok"),
                    ("secret.read", "plugins/audit.probe#absent", "missing"),
                }));
            Assert.That(probe.Select(e => e.GetProperty("actor").GetString()), Is.All.EqualTo("module:audit.probe"));
            Assert.That(all.Select(Summary), Has.Member("admin auth.login ok"));
            Assert.That(all.Select(Summary), Has.Member("admin auth.login failed"));
            Assert.That(all.Select(Summary), Has.Member("admin plugin.rescan ok"));
            Assert.That(all.Select(e => e.GetProperty("seq").GetInt64()), Is.Ordered.Ascending);
        });

        using var raw = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/audit?limit=1000", token));
        Assert.That(await raw.Content.ReadAsStringAsync(), Does.Not.Contain(SecretValue));
        Assert.That(File.ReadAllBytes(SqlitePath(host)).AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(SecretValue)), Is.EqualTo(-1));
        Assert.That(host.Logs.AllText, Does.Not.Contain(SecretValue));

        var byAction = await EntriesAsync(host, token, "?action=auth.login&actor=admin");
        Assert.That(byAction.Select(e => e.GetProperty("action").GetString()), Is.All.EqualTo("auth.login"));
        var paged = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/audit?limit=2", token));
        var page = await paged.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(page.GetProperty("next_after").GetInt64(), Is.EqualTo(page.GetProperty("entries")[1].GetProperty("seq").GetInt64()));
    }

    [Test]
    public async Task An_untouched_trail_verifies_and_the_cli_says_intact()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var token = await host.LoginAsync("admin", AdminPassword);
        await EventuallyEntriesAsync(host, token, "?action=auth.login", 1);
        var verify = await VerifyAsync(host, token);
        Assert.That(verify.GetProperty("status").GetString(), Is.EqualTo("intact"), verify.ToString());

        var (code, output) = await CliAsync(host, token, "audit", "verify");
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("intact"));
    }

    [TestCase("UPDATE audit_log SET outcome = 'ok' WHERE action = 'auth.login' AND outcome = 'failed'", "altered")]
    [TestCase("UPDATE audit_log SET actor = 'someone-else' WHERE action = 'auth.login' AND outcome = 'failed'", "altered")]
    [TestCase("DELETE FROM audit_log WHERE action = 'auth.login' AND outcome = 'failed'", "deleted")]
    public async Task An_attacker_who_edits_or_deletes_a_record_in_the_database_is_detected(string sql, string expected)
    {
        await using var host = await AuthHost.StartAsync(Env);
        var token = await host.LoginAsync("admin", AdminPassword);
        await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "a-failed-attempt" });
        await host.LoginAsync("admin", AdminPassword);
        await EventuallyEntriesAsync(host, token, "?action=auth.login", 3);
        Assert.That((await VerifyAsync(host, token)).GetProperty("status").GetString(), Is.EqualTo("intact"));

        Assert.That(await ExecuteAsync(host, sql), Is.EqualTo(1), "the attack touched one row");

        var verify = await VerifyAsync(host, token);
        Assert.Multiple(() =>
        {
            Assert.That(verify.GetProperty("status").GetString(), Is.EqualTo("broken"));
            Assert.That(verify.GetProperty("problem").GetString(), Does.Contain(expected).Or.Contain("does not follow"));
        });
        var (code, output) = await CliAsync(host, token, "audit", "verify");
        Assert.That(code, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("ALTERED"));
        Assert.That(host.Logs.Entries.Any(l => l.EventId.Id == 1401), Is.True, "AUDIT_CHAIN_BROKEN logged with its event id");
    }

    [Test]
    public async Task Rehashing_an_edited_record_without_the_key_from_the_secret_store_does_not_help()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var token = await host.LoginAsync("admin", AdminPassword);
        await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "a-failed-attempt" });
        await EventuallyEntriesAsync(host, token, "?action=auth.login", 2);

        // The attacker knows the format and recomputes the hash with a key of their own, then relinks the next record.
        var fake = new byte[32];
        var failed = (await EntriesAsync(host, token, "?action=auth.login")).First(e => e.GetProperty("outcome").GetString() == "failed");
        var seq = failed.GetProperty("seq").GetInt64();
        var at = failed.GetProperty("at").GetDateTimeOffset().ToUnixTimeMilliseconds();
        var forged = AuditChain.Compute(fake, seq, at, "admin", null, "auth.login", null, "ok", failed.GetProperty("detail").GetString(),
            failed.GetProperty("prev_hash").GetString()!);
        await ExecuteAsync(host, $"UPDATE audit_log SET outcome = 'ok', hash = '{forged}' WHERE seq = {seq}");
        await ExecuteAsync(host, $"UPDATE audit_log SET prev_hash = '{forged}' WHERE seq = {seq + 1}");

        var verify = await VerifyAsync(host, token);
        Assert.That(verify.GetProperty("status").GetString(), Is.EqualTo("broken"));
        Assert.That(verify.GetProperty("broken_at").GetInt64(), Is.EqualTo(seq));
    }

    [Test]
    public async Task Deleting_the_newest_records_is_detected_through_the_anchor_in_the_secret_store()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var token = await host.LoginAsync("admin", AdminPassword);
        await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "the-attempt-to-hide" });
        await EventuallyEntriesAsync(host, token, "?action=auth.login", 2);
        var anchor = host.App.Services.GetRequiredService<SecretStoreAuditAnchor>();
        var newest = (await EntriesAsync(host, token, "?limit=1000")).Last().GetProperty("seq").GetInt64();
        await Eventually.True(() => anchor.GetAsync(CancellationToken.None).GetAwaiter().GetResult().HeadSeq >= newest, "the anchor caught up");

        // Nothing new is written meanwhile: stop the writer's input by reading the head now, then truncate the tail.
        var head = (await anchor.GetAsync(CancellationToken.None)).HeadSeq;
        await ExecuteAsync(host, $"DELETE FROM audit_log WHERE seq >= {head - 1}");

        var verify = await VerifyAsync(host, token);
        Assert.That(verify.GetProperty("status").GetString(), Is.EqualTo("broken"), verify.ToString());
        Assert.That(verify.GetProperty("problem").GetString(), Does.Contain("newest records were deleted").Or.Contain("rewritten"));
    }

    [Test]
    public async Task The_audit_api_is_for_administrators_and_rejects_bad_filters_with_problem_details()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var admin = await host.LoginAsync("admin", AdminPassword);
        var bot = await host.LoginAsync("bot", "B0t-Passw0rd-for-tests");
        using var anonymous = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/audit", null));
        using var notAdmin = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/audit/verify", bot));
        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(notAdmin.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        foreach (var query in new[] { "?since=yesterday", "?limit=0", "?limit=100000", "?after=-1" })
        {
            using var bad = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/audit" + query, admin));
            await ProblemAssert.IsProblemAsync(bad, 400, "invalid_query");
        }
    }

    [Test]
    public async Task Records_reported_while_the_database_is_not_there_yet_are_kept_and_written_in_order()
    {
        var time = TimeProvider.System;
        var trail = new AuditTrail(time);
        for (var i = 0; i < 5; i++)
        {
            trail.Record(new AuditRecord("early", null, "test.early", i.ToString(System.Globalization.CultureInfo.InvariantCulture), "ok"));
        }

        await using var host = await AuthHost.StartAsync(Env, services: s => s.AddSingleton(trail));
        var token = await host.LoginAsync("admin", AdminPassword);
        var early = await EventuallyEntriesAsync(host, token, "?action=test.early", 5);
        Assert.That(early.Select(e => e.GetProperty("target").GetString()), Is.EqualTo(new[] { "0", "1", "2", "3", "4" }));
    }

    private static string Summary(JsonElement e) =>
        $"{e.GetProperty("actor").GetString()} {e.GetProperty("action").GetString()} {e.GetProperty("outcome").GetString()}";

    private static string SqlitePath(AuthHost host) => host.App.Services.GetRequiredService<DatabaseSettings>().SqlitePath;

    private static async Task<int> ExecuteAsync(AuthHost host, string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = SqlitePath(host), Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteNonQueryAsync();
    }

    private static async Task<JsonElement[]> EntriesAsync(AuthHost host, string token, string query)
    {
        using var response = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/audit" + query, token));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("entries").EnumerateArray().ToArray();
    }

    private static async Task<JsonElement[]> EventuallyEntriesAsync(AuthHost host, string token, string query, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var entries = await EntriesAsync(host, token, query);
            if (entries.Length >= count || DateTime.UtcNow > deadline)
            {
                Assert.That(entries, Has.Length.GreaterThanOrEqualTo(count), $"audit entries for {query}");
                return entries;
            }

            await Task.Delay(20);
        }
    }

    private static async Task<JsonElement> VerifyAsync(AuthHost host, string token)
    {
        using var response = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/audit/verify", token));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task<(int Code, string Output)> CliAsync(AuthHost host, string token, params string[] args)
    {
        var output = new StringWriter();
        var config = EnvironmentConfigSource.FromValues(new Dictionary<string, string> { ["LYNDRIX_TOKEN"] = token });
        var context = new CliContext(new StringReader(""), output, output, config, Directory.GetCurrentDirectory());
        var code = await LyndrixCli.RunAsync([.. args, "--url", host.Client.BaseAddress!.AbsoluteUri], context);
        return (code, output.ToString());
    }
}
