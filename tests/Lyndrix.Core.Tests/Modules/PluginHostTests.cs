using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lyndrix.Core.Cli;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Tests.Modules;

/// <summary>The whole host: plugins from PLUGINS_DIR start during the boot, before <c>system:boot_complete</c>, and the plugin
/// API (and the CLI over it) is for administrators only.</summary>
public sealed class PluginHostTests
{
    private const string AdminPassword = "Adm1n-Passw0rd-for-tests";
    private const string BotPassword = "B0t-Passw0rd-for-tests";

    [OneTimeSetUp]
    public Task BuildFixtures() => PluginFixtures.EnsureBuiltAsync();

    [Test]
    public async Task Samples_start_in_the_boot_and_the_api_is_admin_only()
    {
        var plugins = Directory.CreateTempSubdirectory("lyndrix-host-plugins-").FullName;
        foreach (var sample in new[] { "hello", "events" })
        {
            PluginFixtures.CopyDirectory(PluginFixtures.Published(sample), Path.Combine(plugins, sample));
        }

        await using var host = await AuthHost.StartAsync(
            [("LYNDRIX_ADMIN_PASSWORD", AdminPassword), ("LYNDRIX_BOT_PASSWORD", BotPassword), ("PLUGINS_DIR", plugins)]);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var complete = await host.Bus.WaitForAsync(CoreTopics.SystemBootComplete, cts.Token);
        Assert.That(complete.Payload.GetInt64("plugins_active"), Is.EqualTo(2), host.Logs.AllText);

        using var anonymous = await host.Client.GetAsync(new Uri("/api/plugins", UriKind.Relative));
        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var bot = await host.LoginAsync("bot", BotPassword);
        using var notAdmin = await host.Client.SendAsync(host.Request(HttpMethod.Post, "/api/plugins/lyndrix.sample.events/disable", bot));
        Assert.That(notAdmin.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));

        var admin = await host.LoginAsync("admin", AdminPassword);
        using var list = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/plugins", admin));
        var body = await list.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(body.GetProperty("plugins").EnumerateArray().Select(p => p.GetProperty("state").GetString()), Is.EqualTo(new[] { "active", "active" }));

        var url = host.Client.BaseAddress!.ToString().TrimEnd('/');
        var config = new TestConfigSource().Set("PLUGINS_DIR", plugins);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var cwd = Path.GetTempPath();
        Assert.That(await LyndrixCli.RunAsync(["plugins", "disable", "lyndrix.sample.events", "--url", url], new CliContext(TextReader.Null, output, error, config, cwd)), Is.EqualTo(1));
        Assert.That(error.ToString(), Does.Contain("needs an administrator's session").And.Contain("--token"));

        config.Set("LYNDRIX_TOKEN", admin);
        Assert.That(await LyndrixCli.RunAsync(["plugins", "disable", "lyndrix.sample.events", "--url", url], new CliContext(TextReader.Null, output, error, config, cwd)), Is.Zero, error.ToString());
        Assert.That(output.ToString(), Does.Contain("lyndrix.sample.events: disabled"));
    }

    [Test]
    public async Task Health_shows_plugin_reports_to_administrators_only()
    {
        var (anonymous, detailed) = await HealthWithOneProbeAsync("test.tired", ("health", "degraded"));

        Assert.Multiple(() =>
        {
            Assert.That(anonymous.GetProperty("status").GetString(), Is.EqualTo("ok"));
            Assert.That(anonymous.TryGetProperty("plugins", out _), Is.False, "anonymous callers see no plugin details and trigger no plugin checks");
            Assert.That(detailed.GetProperty("status").GetString(), Is.EqualTo("degraded"), "a degraded plugin counts for administrators");
            Assert.That(detailed.GetProperty("plugins").GetProperty("test.tired").GetProperty("status").GetString(), Is.EqualTo("degraded"));
            Assert.That(detailed.GetProperty("plugins").GetProperty("test.tired").GetProperty("message").GetString(), Is.EqualTo("probe degraded on request"));
        });
    }

    [Test]
    public async Task Health_is_degraded_for_everyone_when_an_enabled_plugin_failed_and_administrators_see_which()
    {
        var (anonymous, detailed) = await HealthWithOneProbeAsync("test.broken", ("setup", "throw"));
        Assert.Multiple(() =>
        {
            Assert.That(anonymous.GetProperty("status").GetString(), Is.EqualTo("degraded"), "an enabled plugin that failed is not 'ok'");
            Assert.That(anonymous.TryGetProperty("plugins_not_running", out _), Is.False, "which one is for administrators");
            var notRunning = detailed.GetProperty("plugins_not_running").EnumerateArray().Single();
            Assert.That(notRunning.GetProperty("id").GetString(), Is.EqualTo("test.broken"));
            Assert.That(notRunning.GetProperty("state").GetString(), Is.EqualTo("failed"));
            Assert.That(notRunning.GetProperty("reason").GetString(), Does.Contain("probe setup failure requested"));
        });
    }

    /// <summary>Boots the host with one Probe plugin (given one setting) and reads <c>/api/health</c> anonymously and as admin.</summary>
    private static async Task<(JsonElement Anonymous, JsonElement Admin)> HealthWithOneProbeAsync(string id, (string Key, string Value) setting)
    {
        var plugins = Directory.CreateTempSubdirectory("lyndrix-host-health-").FullName;
        var probe = Path.Combine(plugins, "probe");
        PluginFixtures.CopyDirectory(PluginFixtures.Published("Probe"), probe);
        File.WriteAllText(Path.Combine(probe, "plugin.json"),
            ProbeManifest.Create(id, new Dictionary<string, string> { [setting.Key] = setting.Value }).ToJsonString());

        await using var host = await AuthHost.StartAsync(
            [("LYNDRIX_ADMIN_PASSWORD", AdminPassword), ("LYNDRIX_BOT_PASSWORD", BotPassword), ("PLUGINS_DIR", plugins)]);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.Bus.WaitForAsync(CoreTopics.SystemBootComplete, cts.Token);

        var anonymous = await host.Client.GetFromJsonAsync<JsonElement>(new Uri("/api/health", UriKind.Relative));
        var admin = await host.LoginAsync("admin", AdminPassword);
        using var asAdmin = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/health", admin));
        return (anonymous, await asAdmin.Content.ReadFromJsonAsync<JsonElement>());
    }
}
