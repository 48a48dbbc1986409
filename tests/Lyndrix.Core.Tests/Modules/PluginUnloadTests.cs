using Lyndrix.Core.Modules;

namespace Lyndrix.Core.Tests.Modules;

/// <summary>Unloading is cooperative: these tests prove the host releases everything it holds of a plugin, so its load
/// context is really collected, again and again.</summary>
public sealed class PluginUnloadTests
{
    private PluginHarness _host = null!;

    [OneTimeSetUp]
    public Task BuildFixtures() => PluginFixtures.EnsureBuiltAsync();

    // Logs are not captured: a captured exception would keep the plugin's code alive through its stack trace.
    [SetUp]
    public void SetUp() => _host = new PluginHarness(captureLogs: false);

    [TearDown]
    public async Task TearDown() => await _host.DisposeAsync();

    private static Dictionary<string, string> Busy() => new()
    {
        ["subscribe"] = "demo:ping,vault:ready_for_data",
        ["echo_topic"] = "probe:echo",
        ["task"] = "true",
        ["provider_id"] = "probe-sso",
        ["secret_key"] = "token",
        ["secret_value"] = "abc",
    };

    [Test]
    public async Task Unload_after_running_with_subscriptions_secrets_tasks_and_a_provider_collects_the_load_context()
    {
        var echo = _host.Record("probe:echo");
        _host.Bus.Emit(Sdk.Events.CoreTopics.VaultReadyForData);
        _host.AddProbe("p", ProbeManifest.Create("test.p", Busy(), subscribe: ["demo:ping", "vault:ready_for_data"], emit: ["probe:echo"]));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        _host.Bus.Emit("demo:ping");
        await Support.Eventually.True(() => echo.Count == 2, "the plugin heard the replayed readiness event and demo:ping");

        var result = await _host.Runtime.UnloadAsync("test.p", CancellationToken.None);
        Assert.That(result.Unloaded, Is.True, result.Detail);
        Assert.That(result.Plugin, Has.Property("State").EqualTo(PluginState.Disabled).And.Property("Loaded").False);
        Assert.That(_host.Bus.CountFor("test.p"), Is.Zero);
        Assert.That(_host.Providers.All, Is.Empty);
        Assert.That(_host.Tasks.RunningCount, Is.Zero);
        Assert.That(_host.Secrets.Read("plugins/test.p")["token"], Is.EqualTo("abc"), "unloading code keeps the plugin's data");
    }

    [Test]
    public async Task Load_run_unload_a_hundred_times_leaves_every_context_collected_and_memory_flat()
    {
        _host.AddProbe("p", ProbeManifest.Create("test.p", Busy(), subscribe: ["demo:ping", "vault:ready_for_data"], emit: ["probe:echo"]));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That((await _host.Runtime.UnloadAsync("test.p", CancellationToken.None)).Unloaded, Is.True);

        long baseline = 0;
        const int cycles = 100;
        for (var i = 1; i <= cycles; i++)
        {
            var info = await _host.Runtime.EnableAsync("test.p", CancellationToken.None);
            Assert.That(info.State, Is.EqualTo(PluginState.Active), info.Reason);
            _host.Bus.Emit("demo:ping");
            var result = await _host.Runtime.UnloadAsync("test.p", CancellationToken.None);
            Assert.That(result.Unloaded, Is.True, $"cycle {i}: {result.Detail}");
            if (i == 10)
            {
                // Measured after warm-up: JIT, caches and pools have settled by now.
                baseline = GC.GetTotalMemory(forceFullCollection: true);
            }
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        // A leaked context costs several hundred KB (assembly image, metadata, JIT code); 90 leaks would be tens of MB.
        Assert.That(after - baseline, Is.LessThan(8 * 1024 * 1024), $"managed heap grew from {baseline} to {after} bytes over {cycles - 10} cycles");
    }

    [Test]
    public async Task A_context_that_is_still_referenced_is_reported_not_assumed_gone()
    {
        _host.SetupTimeout = TimeSpan.FromMilliseconds(200);
        _host.UnloadTimeout = TimeSpan.FromMilliseconds(300);
        _host.AddProbe("stuck", ProbeManifest.Create("test.stuck", new Dictionary<string, string> { ["setup"] = "hang", ["hang_ms"] = "20000" }));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        var result = await _host.Runtime.UnloadAsync("test.stuck", CancellationToken.None);
        Assert.That(result.Unloaded, Is.False);
        Assert.That(result.Detail, Does.Contain("still alive").And.Contain("timed-out setup is still running"));
    }

    [Test]
    public async Task A_failed_unload_names_the_static_field_that_holds_the_plugin()
    {
        // The commonest leak: a handler on a process-wide event, never removed. The host must say which field, not guess.
        _host.UnloadTimeout = TimeSpan.FromMilliseconds(300);
        _host.ExplainHeld = true;
        _host.AddProbe("leaky", ProbeManifest.Create("test.leaky", new Dictionary<string, string> { ["process_exit"] = "true" }));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(_host.Runtime.Get("test.leaky")!.State, Is.EqualTo(PluginState.Active));

        var result = await _host.Runtime.UnloadAsync("test.leaky", CancellationToken.None);
        await TestContext.Progress.WriteLineAsync(result.Detail);
        Assert.That(result.Unloaded, Is.False);
        Assert.That(result.Detail, Does.Contain("Held by: static field System.AppDomain.s_domain: System.AppDomain.ProcessExit").And.Contain("Probe.ProbeModule"), result.Detail);
        Assert.That(result.Plugin.HeldContexts, Is.EqualTo(1));
    }

    [Test]
    public async Task A_plugin_that_serialized_with_Newtonsoft_Json_and_System_Text_Json_unloads()
    {
        var report = _host.Record("isolation:report");
        _host.AddPublished("JsonOld");  // owns the 'isolation' domain and lets test.jsonnew emit there
        _host.AddPublished("JsonNew");
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        var started = _host.Runtime.Get("test.jsonnew")!;
        Assert.That(started.State, Is.EqualTo(PluginState.Active), started.Reason);
        await Support.Eventually.True(() => !report.IsEmpty, "the plugin serialized something");

        var result = await _host.Runtime.UnloadAsync("test.jsonnew", CancellationToken.None);
        Assert.That(result.Unloaded, Is.True, result.Detail);
        Assert.That(result.Plugin.HeldContexts, Is.Zero);
    }

    [Test]
    public async Task Reload_after_a_failed_unload_runs_the_new_code_even_when_the_dll_was_overwritten_in_place()
    {
        // Long enough for the first build to announce itself on a loaded machine before its setup hangs.
        _host.SetupTimeout = TimeSpan.FromSeconds(5);
        _host.UnloadTimeout = TimeSpan.FromMilliseconds(300);
        var up = _host.Record("probe:up");
        // The first build's setup never finishes in time: the stray setup keeps its context alive through the reload.
        var dir = _host.AddProbe("p", ProbeManifest.Create("test.p", new Dictionary<string, string> { ["emit_on_setup"] = "probe:up", ["setup"] = "hang", ["hang_ms"] = "20000" }, emit: ["probe:up"]));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        await Support.Eventually.True(() => up.Count == 1, "the first build ran (setup announced itself, then hung past the timeout)");
        var oldBuild = up.Single().Payload.GetString("mvid");

        // A new build, written into the same file (same inode) the old context was loaded from.
        var newBuild = Support.AssemblyPatch.ReplaceModuleVersionIdInPlace(Path.Combine(dir, "Probe.dll"));
        File.WriteAllText(Path.Combine(dir, "plugin.json"),
            ProbeManifest.Create("test.p", new Dictionary<string, string> { ["emit_on_setup"] = "probe:up" }, emit: ["probe:up"]).ToJsonString());

        var info = await _host.Runtime.ReloadAsync("test.p", CancellationToken.None);
        Assert.That(info.State, Is.EqualTo(PluginState.Active), info.Reason);
        Assert.That(info.HeldContexts, Is.EqualTo(1), "the old context is reported as still held");
        await Support.Eventually.True(() => up.Count == 2, "the reloaded code ran");
        Assert.That(up.Last().Payload.GetString("mvid"), Is.EqualTo(newBuild.ToString()).And.Not.EqualTo(oldBuild), "the new code, not the old");
    }
}
