using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lyndrix.Core.Cli;
using Lyndrix.Core.Modules;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Lyndrix.Core.Tests.Modules;

/// <summary><c>/api/plugins</c> over real HTTP, and the <c>lyndrix plugins</c> commands that talk to it.</summary>
public sealed class PluginEndpointsTests
{
    private PluginHarness _host = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;
    private string _url = "";

    [OneTimeSetUp]
    public Task BuildFixtures() => PluginFixtures.EnsureBuiltAsync();

    [SetUp]
    public async Task SetUp()
    {
        _host = new PluginHarness();
        _host.AddProbe("p", ProbeManifest.Create("test.p", new Dictionary<string, string> { ["subscribe"] = "demo:ping" }, subscribe: ["demo:ping"]));
        _host.AddProbe("future", ProbeManifest.Create("test.future", minCoreVersion: "42.0.0"));
        await _host.Runtime.StartAllAsync(CancellationToken.None);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(_host.Runtime);
        _app = builder.Build();
        PluginEndpoints.Map(_app);
        await _app.StartAsync();
        _url = _app.Urls.First();
        _http = new HttpClient { BaseAddress = new Uri(_url) };
    }

    [TearDown]
    public async Task TearDown()
    {
        _http.Dispose();
        await _app.DisposeAsync();
        await _host.DisposeAsync();
    }

    private async Task<JsonElement> PostAsync(string path, HttpStatusCode expected)
    {
        using var response = await _http.PostAsync(new Uri(path, UriKind.Relative), null);
        Assert.That(response.StatusCode, Is.EqualTo(expected), await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Test]
    public async Task Lists_plugins_with_their_states_and_reasons()
    {
        var body = await _http.GetFromJsonAsync<JsonElement>("/api/plugins");
        Assert.That(body.GetProperty("started").GetBoolean(), Is.True);
        var plugins = body.GetProperty("plugins").EnumerateArray().ToDictionary(p => p.GetProperty("id").GetString()!);
        Assert.That(plugins["test.p"].GetProperty("state").GetString(), Is.EqualTo("active"));
        Assert.That(plugins["test.p"].GetProperty("subscribe")[0].GetString(), Is.EqualTo("demo:ping"));
        Assert.That(plugins["test.future"].GetProperty("state").GetString(), Is.EqualTo("degraded"));
        Assert.That(plugins["test.future"].GetProperty("reason").GetString(), Does.Contain("42.0.0"));
        var one = await _http.GetFromJsonAsync<JsonElement>("/api/plugins/test.p");
        Assert.That(one.GetProperty("version").GetString(), Is.EqualTo("1.0.0"));
    }

    [Test]
    public async Task Disable_enable_reload_and_unload_at_run_time()
    {
        Assert.That((await PostAsync("/api/plugins/test.p/disable", HttpStatusCode.OK)).GetProperty("state").GetString(), Is.EqualTo("disabled"));
        Assert.That(_host.Bus.CountFor("test.p"), Is.Zero);
        Assert.That((await PostAsync("/api/plugins/test.p/enable", HttpStatusCode.OK)).GetProperty("state").GetString(), Is.EqualTo("active"));
        Assert.That((await PostAsync("/api/plugins/test.p/reload", HttpStatusCode.OK)).GetProperty("state").GetString(), Is.EqualTo("active"));
        var unload = await PostAsync("/api/plugins/test.p/unload", HttpStatusCode.OK);
        Assert.That(unload.GetProperty("unloaded").GetBoolean(), Is.True, unload.GetProperty("detail").GetString());
        Assert.That(unload.GetProperty("plugin").GetProperty("loaded").GetBoolean(), Is.False);
    }

    [Test]
    public async Task Refuses_unknown_ids_and_impossible_transitions_with_help()
    {
        var missing = await PostAsync("/api/plugins/test.nope/enable", HttpStatusCode.NotFound);
        Assert.That(missing.GetProperty("detail").GetString(), Does.Contain("No plugin with id 'test.nope'"));
        using var get = await _http.GetAsync(new Uri("/api/plugins/test.nope", UriKind.Relative));
        Assert.That(get.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var degraded = await PostAsync("/api/plugins/test.future/enable", HttpStatusCode.Conflict);
        Assert.That(degraded.GetProperty("detail").GetString(), Does.Contain("cannot be enabled"));
    }

    [Test]
    public async Task Rescan_picks_up_a_new_folder()
    {
        _host.AddProbe("late", ProbeManifest.Create("test.late"));
        var body = await PostAsync("/api/plugins/rescan", HttpStatusCode.OK);
        Assert.That(body.GetProperty("added")[0].GetProperty("id").GetString(), Is.EqualTo("test.late"));
    }

    private async Task<(int Code, string Out, string Error)> CliAsync(params string[] args)
    {
        var config = new TestConfigSource().Set("PLUGINS_DIR", _host.PluginsDir).Set("LYNDRIX_BUILTIN_MODULES_DIR", _host.BuiltInDir);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await LyndrixCli.RunAsync(args, new CliContext(TextReader.Null, output, error, config, _host.Root));
        return (code, output.ToString(), error.ToString());
    }

    [Test]
    public async Task Cli_list_shows_live_states_when_a_host_runs_and_the_disk_otherwise()
    {
        var (code, output, _) = await CliAsync("plugins", "list", "--url", _url);
        Assert.That(code, Is.Zero);
        Assert.That(output, Does.Contain("Host at " + _url).And.Match(@"test\.p\s+1\.0\.0\s+active").And.Match(@"test\.future\s+1\.0\.0\s+degraded"));

        var (offline, text, _) = await CliAsync("plugins", "list", "--url", "http://127.0.0.1:1");
        Assert.That(offline, Is.Zero);
        Assert.That(text, Does.Contain("No host answered").And.Match(@"test\.p\s+1\.0\.0\s+valid"));

        var (_, json, _) = await CliAsync("plugins", "list", "--json", "--url", _url);
        using var doc = JsonDocument.Parse(json);
        Assert.That(doc.RootElement.GetProperty("plugins").EnumerateArray().Select(p => p.GetProperty("state").GetString()), Is.EquivalentTo(new[] { "active", "degraded" }));
    }

    [Test]
    public async Task Cli_operations_go_through_the_api()
    {
        var (code, output, _) = await CliAsync("plugins", "disable", "test.p", "--url", _url);
        Assert.That(code, Is.Zero);
        Assert.That(output, Does.Contain("test.p: disabled"));
        (code, output, _) = await CliAsync("plugins", "unload", "test.p", "--url", _url);
        Assert.That(code, Is.Zero);
        Assert.That(output, Does.Contain("Code unloaded"));
        _host.AddProbe("bad", ProbeManifest.Create("test.bad", new Dictionary<string, string> { ["setup"] = "throw" }));
        (code, output, _) = await CliAsync("plugins", "rescan", "--url", _url);
        Assert.That((code, output), Is.EqualTo((3, "Added: test.bad (failed)" + Environment.NewLine)), "a plugin that came up failed is not success");
        (code, output, _) = await CliAsync("plugins", "enable", "test.bad", "--url", _url);
        Assert.That(code, Is.EqualTo(3), output);
        Assert.That(output, Does.Contain("test.bad: failed - ").And.Contain("probe setup failure requested"));
        var (refused, _, error) = await CliAsync("plugins", "enable", "test.nope", "--url", _url);
        Assert.That(refused, Is.EqualTo(1));
        Assert.That(error, Does.Contain("(404)").And.Contain("No plugin with id"));
        var (down, _, downError) = await CliAsync("plugins", "enable", "test.p", "--url", "http://127.0.0.1:1");
        Assert.That(down, Is.EqualTo(1));
        Assert.That(downError, Does.Contain("No Lyndrix host answered").And.Contain("lyndrix run"));
    }

    [Test]
    public async Task Cli_validate_accepts_a_good_plugin_and_explains_refusals()
    {
        var (code, output, _) = await CliAsync("plugins", "validate", Path.Combine(_host.PluginsDir, "p"));
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("entry: Probe.ProbeModule").And.Contain("would load"));

        var copy = _host.AddProbe("copy", ProbeManifest.Create("test.copy"));
        File.Copy(typeof(Sdk.ILyndrixModule).Assembly.Location, Path.Combine(copy, "Lyndrix.Sdk.dll"));
        var (refused, _, error) = await CliAsync("plugins", "validate", Path.Combine(copy, "plugin.json"));
        Assert.That(refused, Is.EqualTo(1));
        Assert.That(error, Does.Contain("carries its own Lyndrix.Sdk.dll").And.Contain("would refuse"));

        var newer = _host.AddPublished("NewerSdkPlugin");
        (refused, _, error) = await CliAsync("plugins", "validate", newer);
        Assert.That(refused, Is.EqualTo(1));
        Assert.That(error, Does.Contain("compiled against Lyndrix.Sdk 9.9.0.0"));

        var (future, _, futureError) = await CliAsync("plugins", "validate", Path.Combine(_host.PluginsDir, "future"));
        Assert.That(future, Is.EqualTo(1));
        Assert.That(futureError, Does.Contain("42.0.0"));

        var app = _host.AddProbe("app", ProbeManifest.Create("test.app", dependencies: [("test.p", "^2.0"), ("test.ghost", "*")]));
        var (deps, _, depsError) = await CliAsync("plugins", "validate", app, "--no-load");
        Assert.That(deps, Is.EqualTo(3), "valid, but it would stay blocked: not a plain success");
        Assert.That(depsError, Does.Contain("version 1.0.0 installed does not satisfy ^2.0").And.Contain("test.ghost *: not in")
            .And.Contain("would stay blocked").And.Not.Contain("Result: the host would load this plugin."));

        var (usage, _, usageError) = await CliAsync("plugins", "validate");
        Assert.That(usage, Is.EqualTo(2));
        Assert.That(usageError, Does.Contain("takes one PATH"));
    }
}
