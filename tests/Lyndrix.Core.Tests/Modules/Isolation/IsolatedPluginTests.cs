using System.Diagnostics;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Modules.Isolation;
using Lyndrix.Core.Tests.Modules.Trust;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Tests.Modules.Isolation;

/// <summary>The same Probe binary run with <c>"isolation": "process"</c>: a child process of the real <c>lyndrix</c>
/// executable, with secrets, events, an auth provider and health across the channel, and crash and unload as process events.</summary>
[TestFixture]
[NonParallelizable]
public sealed class IsolatedPluginTests
{
    private PluginHarness _host = null!;

    [SetUp]
    public async Task SetUp()
    {
        await PluginFixtures.EnsureBuiltAsync();
        _host = new PluginHarness().Isolated();
    }

    [TearDown]
    public async Task TearDown() => await _host.DisposeAsync();

    private static int ProbeAssembliesInThisProcess() => AppDomain.CurrentDomain.GetAssemblies().Count(a => a.GetName().Name == "Probe");

    /// <summary>No plugin's process is left: the only children are the ready spares (one still starting is waited for).</summary>
    private Task OnlySparesRunAsync() => Eventually.True(
        () => PluginChildren.Of(Environment.ProcessId).Order().SequenceEqual(_host.Runtime.SpareProcessIds().Order()), "only spares run");

    private static Dictionary<string, string> S(params (string Key, string Value)[] items) => items.ToDictionary(i => i.Key, i => i.Value);

    [Test]
    public async Task Secrets_events_and_an_auth_provider_work_across_the_channel_and_no_plugin_code_loads_into_the_host()
    {
        _host.AddProbe("p", ProbeManifest.Create("test.p",
            S(("secret_key", "api_key"), ("secret_value", "v-123"), ("subscribe", "demo:ping"), ("echo_topic", "test.p:echo"), ("provider_id", "probe-auth")),
            subscribe: ["demo:ping"], emit: ["test.p:echo"]));
        var echoes = _host.Record("test.p:echo");
        var probesBefore = ProbeAssembliesInThisProcess();
        await _host.Runtime.StartAllAsync(CancellationToken.None);

        var info = _host.Runtime.Get("test.p")!;
        Assert.That(info.State, Is.EqualTo(PluginState.Active), info.Reason + "\n" + _host.Logs.AllText);
        Assert.That((info.Isolation, info.Loaded), Is.EqualTo((IsolationSettings.Process, false)), "runs in a child, nothing loaded here");
        Assert.That(info.ProcessId, Is.Not.Null.And.Not.EqualTo(Environment.ProcessId));
        Assert.That(ProbeAssembliesInThisProcess(), Is.LessThanOrEqualTo(probesBefore), "no Probe assembly was loaded here (other tests may still hold theirs)");
        Assert.That(_host.Secrets.Read("plugins/test.p"), Does.ContainKey("api_key").WithValue("v-123"), "the host chose the scope");

        _host.Bus.Emit("demo:ping", EventPayload.Create(("n", 1L)), "test");
        await Eventually.True(() => !echoes.IsEmpty, "the child heard demo:ping and emitted its echo");
        Assert.That(echoes.First().Source, Is.EqualTo("test.p"), "the host stamped the source");

        Assert.That(_host.Providers.TryGet("probe-auth", out var provider, out var owner), Is.True);
        Assert.That(owner, Is.EqualTo("test.p"));
        Assert.That(await provider.AuthenticateAsync("probe", "probe", CancellationToken.None), Is.Not.Null);
        Assert.That(await provider.AuthenticateAsync("probe", "wrong", CancellationToken.None), Is.Null);

        var health = await _host.Runtime.CheckHealthAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.That(health.Single().Health.Status, Is.EqualTo(Sdk.HealthStatus.Ok));
    }

    [Test]
    public async Task A_handler_in_the_child_gets_the_payload_and_reads_secrets_through_the_channel()
    {
        _host.AddProbe("p", ProbeManifest.Create("test.p",
            S(("secret_key", "api_key"), ("secret_value", "v-123"), ("subscribe", "demo:go"), ("echo_topic", "test.p:echo")),
            subscribe: ["demo:go"], emit: ["test.p:echo"]));
        var echoes = _host.Record("test.p:echo");
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(_host.Runtime.Get("test.p")!.State, Is.EqualTo(PluginState.Active), _host.Logs.AllText);

        _host.Bus.Emit("demo:go", EventPayload.Create(("reads", 5L), ("note", "ü\u2028x")), "test");
        await Eventually.True(() => !echoes.IsEmpty, "the handler ran", 30);
        var echo = echoes.First().Payload;
        Assert.That(echo.GetInt64("found"), Is.EqualTo(5), "every read inside the handler returned the secret\n" + _host.Logs.AllText);
        Assert.That(((EventPayload)echo["payload"]!).GetString("note"), Is.EqualTo("ü\u2028x"), "the payload crossed unchanged");
    }

    [TestCase("inprocess")]
    [TestCase("process")]
    public async Task Concurrent_atomic_updates_from_the_plugin_lose_nothing_in_both_modes(string mode)
    {
        if (mode == "inprocess")
        {
            _host.Isolation = null;
        }

        _host.AddProbe("p", ProbeManifest.Create("test.p", S(("subscribe", "demo:go"), ("echo_topic", "test.p:echo")), subscribe: ["demo:go"], emit: ["test.p:echo"]));
        var echoes = _host.Record("test.p:echo");
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        _host.Bus.Emit("demo:go", EventPayload.Create(("increments", 10L)), "test");
        await Eventually.True(() => !echoes.IsEmpty, "the handler ran its ten concurrent updates", 60);
        Assert.That(_host.Secrets.Read("plugins/test.p")["counter"], Is.EqualTo("10"), _host.Logs.AllText);
    }

    [Test]
    public async Task Permissions_are_checked_by_the_host_and_refusals_reach_the_plugin_as_the_usual_exception()
    {
        _host.AddProbe("polite", ProbeManifest.Create("test.polite", S(("subscribe", "db:connected"), ("catch_denied", "true")), emit: ["probe:denied"]));
        var denied = _host.Record("probe:denied");
        var security = _host.Record(CoreTopics.SecurityPermissionDenied);
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(_host.Runtime.Get("test.polite")!.State, Is.EqualTo(PluginState.Active), _host.Logs.AllText);
        await Eventually.True(() => !denied.IsEmpty, "the child caught ModulePermissionDeniedException and said so");
        Assert.That(denied.First().Payload.GetString("resource"), Is.EqualTo("db:connected"));
        Assert.That(security.Select(e => e.Payload.GetString("module_id")), Has.Member("test.polite"));
    }

    [Test]
    public async Task A_crashing_plugin_fails_with_the_reason_and_unload_ends_the_process()
    {
        _host.AddProbe("crash", ProbeManifest.Create("test.crash", S(("crash_after_ms", "300"))));
        _host.AddProbe("calm", ProbeManifest.Create("test.calm"));
        var states = _host.Record(CoreTopics.PluginStateChanged);
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        var calm = _host.Runtime.Get("test.calm")!;
        Assert.That(calm.State, Is.EqualTo(PluginState.Active));

        await Eventually.True(() => _host.Runtime.Get("test.crash")!.State == PluginState.Failed, "the crash is noticed");
        Assert.That(_host.Runtime.Get("test.crash")!.Reason, Does.Contain("aborted"));
        Assert.That(states.Select(e => (e.Payload.GetString("plugin_id"), e.Payload.GetString("state"))), Has.Member(("test.crash", "failed")));
        Assert.That(_host.Runtime.Get("test.calm")!.State, Is.EqualTo(PluginState.Active), "the others go on");

        var result = await _host.Runtime.UnloadAsync("test.calm", CancellationToken.None);
        Assert.That(result.Unloaded, Is.True);
        Assert.That(result.Detail, Does.Contain("its own process"));
        Assert.That(() => Process.GetProcessById(calm.ProcessId!.Value).HasExited, Throws.ArgumentException.Or.True, "the child is gone");
    }

    [Test]
    public async Task A_crashed_plugin_is_restarted_with_backoff_until_its_allowance_is_used()
    {
        _host.Isolated(restarts: 2);
        _host.AddProbe("crash", ProbeManifest.Create("test.crash", S(("crash_after_ms", "200"))));
        var states = _host.Record(CoreTopics.PluginStateChanged);
        await _host.Runtime.StartAllAsync(CancellationToken.None);

        await Eventually.True(() => _host.Runtime.Get("test.crash")!.Reason?.Contains("Not restarted", StringComparison.Ordinal) == true,
            "after two restarts it stays failed", 60);
        var info = _host.Runtime.Get("test.crash")!;
        Assert.That(info.State, Is.EqualTo(PluginState.Failed));
        Assert.That(info.Reason, Does.Contain("aborted").And.Contain("2 restart(s) used"));
        var history = states.Where(e => e.Payload.GetString("plugin_id") == "test.crash").Select(e => e.Payload.GetString("state")).ToList();
        Assert.That(history.Count(s => s == "active"), Is.EqualTo(3), "started once and restarted twice: " + string.Join(",", history));
        Assert.That(_host.Logs.AllText, Does.Contain("Restarting in 1s").And.Contain("Restarting in 2s"), "the pause grows");
        await OnlySparesRunAsync();
    }

    [Test]
    public async Task A_plugin_whose_process_will_not_end_is_killed_and_unload_still_succeeds()
    {
        _host.AddProbe("wedged", ProbeManifest.Create("test.wedged", S(("teardown", "wedge"))));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        var pid = _host.Runtime.Get("test.wedged")!.ProcessId!.Value;

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await _host.Runtime.UnloadAsync("test.wedged", CancellationToken.None);
        Assert.That(result.Unloaded, Is.True, result.Detail);
        Assert.That(clock.Elapsed, Is.LessThan(_host.TeardownTimeout * 2 + TimeSpan.FromSeconds(5)), "teardown timeout, then 2s grace, then kill");
        Assert.That(PluginChildren.Alive(pid), Is.False, "the process is gone");
        Assert.That(
            _host.Logs.Entries.Where(e => e.Message.Contains("did not end within 2s after its channel closed; killed", StringComparison.Ordinal)).Select(e => e.Category),
            Is.EqualTo(new[] { "test.wedged" }),
            "said once, under the plugin's own category (also when it started from a spare)\n" + _host.Logs.AllText);
    }

    [Test]
    public async Task A_plugin_past_its_memory_limit_dies_alone_and_says_why()
    {
        _host.Config.Set("LYNDRIX_PLUGIN_TEST_HOG_MEMORY_MB", "96");
        _host.AddProbe("hog", ProbeManifest.Create("test.hog", S(("allocate_mb", "400"))));
        _host.AddProbe("calm", ProbeManifest.Create("test.calm"));
        await _host.Runtime.StartAllAsync(CancellationToken.None);

        await Eventually.True(() => _host.Runtime.Get("test.hog")!.State == PluginState.Failed, "the overrun ends the child", 60);
        Assert.That(_host.Runtime.Get("test.hog")!.Reason, Does.Contain("96 MB memory limit"));
        Assert.That(_host.Logs.AllText, Does.Contain("] Out of memory."), "the child's last words reach the host's log");
        Assert.That(_host.Runtime.Get("test.calm")!.State, Is.EqualTo(PluginState.Active), "the others go on");
    }

    [Test]
    public async Task A_killed_plugin_fails_with_the_reason()
    {
        _host.AddProbe("victim", ProbeManifest.Create("test.victim"));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        var pid = _host.Runtime.Get("test.victim")!.ProcessId!.Value;
        Process.GetProcessById(pid).Kill();
        await Eventually.True(() => _host.Runtime.Get("test.victim")!.State == PluginState.Failed, "the kill is noticed");
        Assert.That(_host.Runtime.Get("test.victim")!.Reason, Does.Contain("was killed (SIGKILL"));
    }

    /// <summary>The plugin writes to its own stdout, the channel, as any code in its process can: a 1 GiB message, a header
    /// that never ends, or it closes the channel and lives on. The host reads none of it into memory, ends the process and
    /// says why; the others go on.</summary>
    [TestCase("huge_message", "sent a message of 1,073,741,824 bytes; the host reads at most 16 MiB per message")]
    [TestCase("endless_header", "sent a message header longer than 1024 bytes")]
    [TestCase("close", "closed its channel and did not end within 2s")]
    public async Task A_plugin_that_breaks_its_channel_is_ended_with_the_reason_and_nothing_it_sent_is_buffered(string attack, string why)
    {
        _host.AddProbe("breaker", ProbeManifest.Create("test.breaker", S(("break_channel", attack), ("subscribe", "demo:go")), subscribe: ["demo:go"]));
        _host.AddProbe("calm", ProbeManifest.Create("test.calm"));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        var pid = _host.Runtime.Get("test.breaker")!.ProcessId!.Value;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        _host.Bus.Emit("demo:go", EventPayload.Create(("attack", attack)), "test");

        var noticed = await Eventually.Within(() => _host.Runtime.Get("test.breaker")!.State == PluginState.Failed, 30);
        var grown = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        Assert.Multiple(() =>
        {
            Assert.That(grown, Is.LessThan(64L * 1024 * 1024), "the host did not buffer what the plugin sent");
            Assert.That(noticed, Is.True, "the broken channel is noticed within 30 s");
            Assert.That(_host.Runtime.Get("test.breaker")!.Reason, Is.EqualTo($"The plugin's process ({pid}) {why}; the host ended it."));
        });
        await Eventually.True(() => !PluginChildren.Alive(pid), "the process is gone");
        Assert.That(_host.Logs.Entries.Count(e => e.Category == "test.breaker" && e.Message.Contains(why + "; the host ended it", StringComparison.Ordinal)), Is.EqualTo(1),
            "said once, under the plugin's own category\n" + _host.Logs.AllText);
        Assert.That(_host.Runtime.Get("test.calm")!.State, Is.EqualTo(PluginState.Active), "the others go on");
    }

    [Test]
    public async Task A_hundred_start_stop_cycles_leave_no_process_and_no_file_descriptor_behind()
    {
        _host.AddProbe("cycle", ProbeManifest.Create("test.cycle", S(("secret_key", "k"), ("subscribe", "demo:ping"), ("echo_topic", "test.cycle:echo")),
            subscribe: ["demo:ping"], emit: ["test.cycle:echo"]));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        await _host.Runtime.DisableAsync("test.cycle", CancellationToken.None);
        await _host.Runtime.EnableAsync("test.cycle", CancellationToken.None);
        await _host.Runtime.DisableAsync("test.cycle", CancellationToken.None);
        await Eventually.True(() => _host.Runtime.SpareProcessIds().Count == 1, "a spare is ready");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = PluginChildren.OpenFileDescriptors();

        var pids = new HashSet<int>();
        for (var i = 0; i < 100; i++)
        {
            var on = await _host.Runtime.EnableAsync("test.cycle", CancellationToken.None);
            Assert.That(on.State, Is.EqualTo(PluginState.Active), $"cycle {i}: {on.Reason}");
            pids.Add(on.ProcessId!.Value);
            await _host.Runtime.DisableAsync("test.cycle", CancellationToken.None);
        }

        await Eventually.True(() => _host.Runtime.SpareProcessIds().Count == 1, "the last spare is ready");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.That(pids, Has.Count.EqualTo(100), "a fresh process each time: a spare serves one plugin once");
        Assert.That(pids.Where(PluginChildren.Alive), Is.Empty, "no plugin's process left");
        await OnlySparesRunAsync();
        Assert.That(PluginChildren.OpenFileDescriptors(), Is.LessThanOrEqualTo(before + 4), "no descriptor leaked per cycle (a few for the runtime's own pools)");

        await _host.Runtime.StopAllAsync(CancellationToken.None);
        Assert.That(PluginChildren.Of(Environment.ProcessId), Is.Empty, "the spare ends with the runtime");
    }

    [Test]
    public async Task A_spare_process_is_taken_by_the_next_plugin_and_replaced_by_a_fresh_one()
    {
        _host.AddProbe("first", ProbeManifest.Create("test.first"));
        _host.AddProbe("second", ProbeManifest.Create("test.second"));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        await _host.Runtime.DisableAsync("test.second", CancellationToken.None);
        await Eventually.True(() => _host.Runtime.SpareProcessIds().Count == 1, "a spare is ready");
        var spare = _host.Runtime.SpareProcessIds().Single();
        Assert.That(_host.Logs.AllText, Does.Contain("spare ready; load path rehearsed on " + Path.Combine(Path.GetDirectoryName(Support.HostProcess.Executable)!, "modules")),
            "the spare walked the load path on a built-in module before it was counted ready");

        var second = await _host.Runtime.EnableAsync("test.second", CancellationToken.None);
        Assert.That(second.State, Is.EqualTo(PluginState.Active), second.Reason);
        Assert.That(second.ProcessId, Is.EqualTo(spare), "the plugin took the spare");
        await Eventually.True(() => _host.Runtime.SpareProcessIds().Count == 1, "a new spare is started");
        Assert.That(_host.Runtime.SpareProcessIds().Single(), Is.Not.EqualTo(spare).And.Not.EqualTo(_host.Runtime.Get("test.first")!.ProcessId));
    }

    [TestCase(1)]
    [TestCase(0)]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_plugin_runs_in_its_own_directory_under_its_own_memory_limit_with_or_without_a_spare(int spares)
    {
        _host.Isolated(spares: spares);
        _host.Config.Set("LYNDRIX_PLUGIN_TEST_BOXED_MEMORY_MB", "200");
        _host.AddProbe("boxed", ProbeManifest.Create("test.boxed", S(("emit_on_setup", "test.boxed:ready")), emit: ["test.boxed:ready"]));
        var ready = _host.Record("test.boxed:ready");
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        await Eventually.True(() => !ready.IsEmpty, "the probe said where it runs");

        var payload = ready.First().Payload;
        Assert.That(payload.GetString("directory"), Is.EqualTo(Path.Combine(_host.Root, "work", "test.boxed")));
        const UnixFileMode owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.That(File.GetUnixFileMode(Path.Combine(_host.Root, "work", "test.boxed")), Is.EqualTo(owner), "its directory: 0700, the owner's only");
        Assert.That(File.GetUnixFileMode(Path.Combine(_host.Root, "work")), Is.EqualTo(owner | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute),
            "the directories' root: 0711, others pass through to their own, never list it");
        Assert.That(payload.GetInt64("heap_limit"), Is.EqualTo(200L * 1024 * 1024), "the GC heap limit");
        Assert.That(payload.GetInt64("pid"), Is.EqualTo(_host.Runtime.Get("test.boxed")!.ProcessId));
        if (spares == 0)
        {
            Assert.That(_host.Runtime.SpareProcessIds(), Is.Empty, "no spare when they are off");
        }
        else
        {
            await Eventually.True(() => _host.Runtime.SpareProcessIds().Count == 1, "a spare waits for the next plugin");
        }
    }

    [Test]
    public async Task No_child_outlives_a_host_that_dies()
    {
        using var dir = new TempDirectory("lyndrix-orphan");
        _host.AddProbe("orphan", ProbeManifest.Create("test.orphan"));
        PluginFixtures.CopyDirectory(Path.Combine(_host.PluginsDir, "orphan"), Path.Combine(dir.Sub("plugins"), "orphan"));
        var port = HostProcess.FreePort();
        await using var host = HostProcess.Start(new Dictionary<string, string>
        {
            ["ENV_TYPE"] = "dev",
            ["STORAGE_DIR"] = dir.Sub("storage"),
            ["SECURITY_DIR"] = dir.Sub("security"),
            ["LOGS_DIR"] = dir.Sub("logs"),
            ["PLUGINS_DIR"] = dir.Sub("plugins"),
            ["LYNDRIX_PLUGIN_ISOLATION"] = IsolationSettings.Process,
        }, port, dir.Path);
        await host.WaitForBootAsync(TimeSpan.FromSeconds(90));
        await Eventually.True(() => PluginChildren.Of(host.ProcessId).Count == 2, "the plugin's process and a spare run\n" + host.Output, 30);
        var children = PluginChildren.Of(host.ProcessId);

        host.Kill();
        await Eventually.True(() => !children.Any(PluginChildren.Alive), "the children noticed their channels closing and exited", 10);
    }
}
