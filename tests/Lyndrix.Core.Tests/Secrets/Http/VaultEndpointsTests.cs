using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using static Lyndrix.Core.Tests.Secrets.Support.SecretTestSettings;

namespace Lyndrix.Core.Tests.Secrets.Http;

/// <summary>/api/vault/* on the whole host.</summary>
public class VaultEndpointsTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory("lyndrix-secrets");

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private static bool Ready(JsonElement s) => s.GetProperty("ui_state").GetString() == "ready";

    [Test]
    public async Task Manual_init_over_HTTP_with_every_refusal_then_the_rate_limit()
    {
        await using var host = await HostHarness.StartAsync(HostEnvironment(_dir.Path, masterKey: null));
        var initial = await host.WaitForStatusAsync(s => s.GetProperty("ui_state").GetString() == "needs_init", "needs_init");
        Assert.Multiple(() =>
        {
            Assert.That(initial.GetProperty("status").GetString(), Is.EqualTo("ok"));
            Assert.That(initial.GetProperty("backend").GetString(), Is.EqualTo("embedded"));
            Assert.That(initial.GetProperty("initialized").GetBoolean(), Is.False);
            Assert.That(initial.GetProperty("sealed").GetBoolean(), Is.True);
            Assert.That(initial.GetProperty("connected").GetBoolean(), Is.False);
        });

        // 1: weak key.
        var weak = await host.PostKeyAsync("init", "aaaabbbbccccaaaa");
        Assert.Multiple(() =>
        {
            Assert.That(weak.Status, Is.EqualTo(400));
            Assert.That(weak.Body.GetProperty("code").GetString(), Is.EqualTo("weak_key"));
            Assert.That(weak.Body.ToString(), Does.Not.Contain("aaaabbbbccccaaaa"));
        });

        // 2: not JSON; the body (which would hold the key) is not echoed.
        using var garbage = new StringContent("{\"key\": \"correct horse battery staple\"", Encoding.UTF8, "application/json");
        var bad = await host.Http.PostAsync("api/vault/init", garbage);
        var badBody = await bad.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That((int)bad.StatusCode, Is.EqualTo(400));
            Assert.That(badBody, Does.Not.Contain(MasterKey));
        });

        // 3: accepted, then poll (the setup token is the CLI's job here; SetupTokenTests cover it).
        var setupToken = host.SetupTokenValue;
        var accepted = await host.PostKeyAsync("init", MasterKey, setupToken);
        Assert.Multiple(() =>
        {
            Assert.That(accepted.Status, Is.EqualTo(202));
            Assert.That(accepted.Body.GetProperty("action").GetString(), Is.EqualTo("init_requested"));
        });
        var ready = await host.WaitForStatusAsync(Ready, "ready");
        Assert.Multiple(() =>
        {
            Assert.That(ready.GetProperty("initialized").GetBoolean(), Is.True);
            Assert.That(ready.GetProperty("sealed").GetBoolean(), Is.False);
            Assert.That(ready.GetProperty("connected").GetBoolean(), Is.True);
            Assert.That(host.Events.Last(CoreTopics.VaultInitRequested).Payload.GetString("source"), Is.EqualTo("api"));
        });

        // 4 and 5: wrong state. IAM is ready once the store is open, so from now on only an administrator may ask.
        var token = await host.AdminTokenAsync();
        using (var anonymous = await host.Http.PostAsJsonAsync("api/vault/init", new { key = MasterKey }))
        {
            Assert.That((int)anonymous.StatusCode, Is.EqualTo(401));
        }

        host.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var again = await host.PostKeyAsync("init", MasterKey);
        var unsealed = await host.PostKeyAsync("unseal", MasterKey);
        Assert.Multiple(() =>
        {
            Assert.That((again.Status, again.Body.GetProperty("code").GetString()), Is.EqualTo((400, "already_initialized")));
            Assert.That((unsealed.Status, unsealed.Body.GetProperty("code").GetString()), Is.EqualTo((400, "already_unsealed")));
        });

        // 6: the limit (5 per 60 s per client) counts every attempt, even refused ones.
        var limited = await host.PostKeyAsync("unseal", MasterKey);
        Assert.Multiple(() =>
        {
            Assert.That(limited.Status, Is.EqualTo(429));
            Assert.That(limited.Body.GetProperty("code").GetString(), Is.EqualTo("rate_limited"));
            Assert.That(limited.Response.Headers.RetryAfter?.Delta?.TotalSeconds, Is.InRange(1, 60));
        });
    }

    [Test]
    public async Task Manual_unseal_over_HTTP_after_a_restart_reports_a_wrong_key_then_opens()
    {
        await using (var first = await HostHarness.StartAsync(HostEnvironment(_dir.Path, MasterKey)))
        {
            await first.WaitForStatusAsync(Ready, "first boot ready");
        }

        await using var host = await HostHarness.StartAsync(HostEnvironment(_dir.Path, masterKey: null));
        await host.WaitForStatusAsync(s => s.GetProperty("ui_state").GetString() == "needs_unseal", "needs_unseal");
        var notInit = await host.PostKeyAsync("init", MasterKey);
        Assert.That(notInit.Body.GetProperty("code").GetString(), Is.EqualTo("already_initialized"));

        const string wrong = "not the right master key";
        Assert.That((await host.PostKeyAsync("unseal", wrong)).Status, Is.EqualTo(202));
        var failed = await host.WaitForStatusAsync(s => s.GetProperty("last_failure").ValueKind == JsonValueKind.Object, "a failure");
        Assert.Multiple(() =>
        {
            Assert.That(failed.GetProperty("last_failure").GetProperty("reason").GetString(), Is.EqualTo("incorrect_key_or_tampered_file"));
            Assert.That(failed.GetProperty("last_failure").GetProperty("topic").GetString(), Is.EqualTo(CoreTopics.VaultUnsealFailed));
            Assert.That(failed.ToString(), Does.Not.Contain(wrong));
        });

        Assert.That((await host.PostKeyAsync("unseal", MasterKey)).Status, Is.EqualTo(202));
        await host.WaitForStatusAsync(Ready, "ready");
        await host.Events.WaitFor(CoreTopics.VaultReadyForData);
        Assert.That(host.Logs.AllText, Does.Not.Contain(wrong).And.Not.Contain(MasterKey));
    }

    [Test]
    public async Task A_host_without_any_secret_configuration_boots_on_the_embedded_backend()
    {
        // What 'lyndrix run' sees on a fresh machine: ENV_TYPE defaults to dev, no VAULT_URL, no master key, default Argon2 cost.
        var env = new Dictionary<string, string>
        {
            ["PORT"] = "0",
            ["STORAGE_DIR"] = Path.Combine(_dir.Path, "storage"),
            ["SECURITY_DIR"] = Path.Combine(_dir.Path, "security"),
            ["PLUGINS_DIR"] = Path.Combine(_dir.Path, "plugins"),
            ["LOGS_DIR"] = Path.Combine(_dir.Path, "logs"),
        };
        await using var host = await HostHarness.StartAsync(env);
        await host.Events.WaitFor(CoreTopics.VaultReadyForData, seconds: 30);
        var status = await host.StatusAsync();
        Assert.Multiple(() =>
        {
            Assert.That(status.GetProperty("backend").GetString(), Is.EqualTo("embedded"));
            Assert.That(status.GetProperty("ui_state").GetString(), Is.EqualTo("ready"));
            Assert.That(File.Exists(Path.Combine(_dir.Path, "security", SecretStoreSettings.DevMasterKeyFileName)));
        });
    }

    [Test]
    public async Task Unseal_of_an_uninitialized_store_is_refused()
    {
        await using var host = await HostHarness.StartAsync(HostEnvironment(_dir.Path, masterKey: null));
        await host.WaitForStatusAsync(s => s.GetProperty("ui_state").GetString() == "needs_init", "needs_init");
        var refused = await host.PostKeyAsync("unseal", MasterKey);
        Assert.That((refused.Status, refused.Body.GetProperty("code").GetString()), Is.EqualTo((400, "not_initialized")));
    }

    [Test]
    public async Task An_unreachable_backend_answers_503_and_an_error_status()
    {
        var backend = new ScriptedBackend(initialized: false, @sealed: true);
        backend.FailNext(int.MaxValue);
        await using var host = await HostHarness.StartAsync(HostEnvironment(_dir.Path, masterKey: null),
            services => services.Replace(ServiceDescriptor.Singleton(backend.Object)));
        var status = await host.StatusAsync();
        var init = await host.PostKeyAsync("init", MasterKey);
        Assert.Multiple(() =>
        {
            Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("error"));
            Assert.That(status.GetProperty("connected").GetBoolean(), Is.False);
            Assert.That(status.GetProperty("message").GetString(), Does.Contain("connection refused"));
            Assert.That((init.Status, init.Body.GetProperty("code").GetString()), Is.EqualTo((503, "unreachable")));
        });
        await host.Events.WaitFor(CoreTopics.VaultConnectionFailed);
        Assert.That(host.Get<Lyndrix.Core.Boot.MaintenanceState>().Active, Does.ContainKey("vault"));
    }
}
