using System.Diagnostics;
using Lyndrix.Core.Data;
using Lyndrix.Core.Modules;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;
using Moq;

namespace Lyndrix.Core.Tests.Modules;

/// <summary>The runtime against real plugin assemblies (the Probe fixture and friends), loaded into real load contexts.</summary>
public sealed class PluginRuntimeTests
{
    private PluginHarness _host = null!;

    [OneTimeSetUp]
    public Task BuildFixtures() => PluginFixtures.EnsureBuiltAsync();

    [SetUp]
    public void SetUp() => _host = new PluginHarness();

    [TearDown]
    public async Task TearDown() => await _host.DisposeAsync();

    private static Dictionary<string, string> S(params (string Key, string Value)[] pairs) => pairs.ToDictionary(p => p.Key, p => p.Value);

    private PluginInfo Info(string id) => _host.Runtime.Get(id) ?? throw new AssertionException($"no plugin {id}");

    [Test]
    public async Task Starts_every_enabled_plugin_and_returns_when_all_have_finished_setup()
    {
        _host.AddProbe("one", ProbeManifest.Create("test.one", S(("hang_ms", "300"), ("setup", "hang"))));
        _host.AddProbe("two", ProbeManifest.Create("test.two"));
        var summary = await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(summary.Active, Is.EqualTo(2));
        Assert.That(Info("test.one").State, Is.EqualTo(PluginState.Active), "a slow setup within the timeout counts");
        Assert.That(Info("test.two"), Has.Property("Loaded").True.And.Property("Enabled").True);
        Assert.That(await _host.States.GetAsync("test.one", default), Is.EqualTo(new PluginStateRecord("test.one", true, "1.0.0")), "state persisted");
    }

    [Test]
    public async Task Health_reports_each_active_plugin_and_a_throwing_or_hanging_check_is_an_error_without_its_message()
    {
        _host.AddProbe("fine", ProbeManifest.Create("test.fine"));
        _host.AddProbe("tired", ProbeManifest.Create("test.tired", S(("health", "degraded"))));
        _host.AddProbe("broken", ProbeManifest.Create("test.broken", S(("health", "throw"))));
        _host.AddProbe("stuck", ProbeManifest.Create("test.stuck", S(("health", "hang"))));
        _host.AddProbe("off", ProbeManifest.Create("test.off", S(("setup", "throw"))));
        await _host.Runtime.StartAllAsync(CancellationToken.None);

        var started = System.Diagnostics.Stopwatch.StartNew();
        var reports = (await _host.Runtime.CheckHealthAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None))
            .ToDictionary(r => r.PluginId, r => r.Health);

        Assert.Multiple(() =>
        {
            Assert.That(reports.Keys, Is.EquivalentTo(new[] { "test.fine", "test.tired", "test.broken", "test.stuck" }), "only active plugins");
            Assert.That(reports["test.fine"].Status, Is.EqualTo(HealthStatus.Ok));
            Assert.That(reports["test.tired"], Is.EqualTo(new ModuleHealth(HealthStatus.Degraded, "probe degraded on request")));
            Assert.That(reports["test.broken"].Status, Is.EqualTo(HealthStatus.Error));
            Assert.That(reports["test.broken"].Message, Does.Contain("InvalidOperationException").And.Not.Contain("secret-in-message"));
            Assert.That(reports["test.stuck"].Status, Is.EqualTo(HealthStatus.Error));
            Assert.That(reports["test.stuck"].Message, Does.Contain("no answer"));
            Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "a hanging check does not hold up the others or the caller");
        });
    }

    [Test]
    public async Task A_setup_that_throws_fails_that_plugin_only_and_says_why()
    {
        var failed = _host.Record(CoreTopics.PluginSetupFailed);
        _host.AddProbe("bad", ProbeManifest.Create("test.bad", S(("setup", "throw"), ("subscribe", "system:boot_complete"), ("task", "true")),
            subscribe: ["system:boot_complete"]));
        _host.AddProbe("good", ProbeManifest.Create("test.good"));
        var summary = await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(summary, Is.EqualTo(new Lyndrix.Core.Boot.PluginStartSummary(1, 1, 0, 0)));
        Assert.That(Info("test.bad").State, Is.EqualTo(PluginState.Failed));
        Assert.That(Info("test.bad").Reason, Does.Contain("probe setup failure requested"));
        var ev = failed.Single();
        Assert.That(ev.Payload.GetString("plugin_id"), Is.EqualTo("test.bad"));
        Assert.That(ev.Payload.GetString("error"), Does.Contain("probe setup failure requested"));
        Assert.That(_host.Bus.CountFor("test.bad"), Is.Zero, "what the failed setup registered is removed");
        await Support.Eventually.True(() => _host.Tasks.RunningCount == 0, "the failed plugin's task is cancelled");
        Assert.That(Info("test.good").State, Is.EqualTo(PluginState.Active));
    }

    [Test]
    public async Task State_changes_say_active_only_for_active_and_keep_the_operators_choice_apart()
    {
        var states = _host.Record(CoreTopics.PluginStateChanged);
        _host.AddProbe("bad", ProbeManifest.Create("test.bad", S(("setup", "throw"))));
        _host.AddProbe("good", ProbeManifest.Create("test.good"));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        await _host.Runtime.DisableAsync("test.good", CancellationToken.None);

        var seen = states.Select(e => (e.Payload.GetString("plugin_id"), e.Payload.GetString("state"), e.Payload.GetBoolean("is_active"), e.Payload.GetBoolean("enabled"))).ToList();
        Assert.That(seen, Does.Contain(("test.bad", "failed", (bool?)false, (bool?)true)), "failed: not active, still enabled");
        Assert.That(seen, Does.Contain(("test.good", "active", (bool?)true, (bool?)true)));
        Assert.That(seen, Does.Contain(("test.good", "disabled", (bool?)false, (bool?)false)));
        Assert.That(_host.Runtime.EnabledButNotRunning().Select(p => (p.PluginId, p.State)), Is.EqualTo(new[] { ("test.bad", PluginState.Failed) }));
    }

    public static IEnumerable<TestCaseData> OperationsInEveryState()
    {
        // What each operator operation leaves, for a plugin that was active, failed, blocked, disabled or degraded before it
        // (null: refused with 409, nothing changed).
        yield return new TestCaseData("disable", new[] { "disabled", "disabled", "disabled", "disabled", null }).SetName("Disable from every state");
        yield return new TestCaseData("enable", new[] { "active", "failed", "blocked", "active", null }).SetName("Enable from every state");
        yield return new TestCaseData("reload", new[] { "active", "failed", "blocked", "disabled", "degraded" }).SetName("Reload from every state");
        yield return new TestCaseData("unload", new[] { "disabled", "disabled", "disabled", "disabled", "degraded" }).SetName("Unload from every state");
    }

    [TestCaseSource(nameof(OperationsInEveryState))]
    public async Task Every_operation_is_accepted_in_every_state_and_ends_in_a_defined_one(string operation, string?[] expected)
    {
        _host.AddProbe("on", ProbeManifest.Create("test.on"));
        _host.AddProbe("bad", ProbeManifest.Create("test.bad", S(("setup", "throw"))));
        _host.AddProbe("needs", ProbeManifest.Create("test.needs", dependencies: [("test.missing", "^1.0")]));
        _host.AddProbe("off", ProbeManifest.Create("test.off"));
        _host.AddProbe("future", ProbeManifest.Create("test.future", minCoreVersion: "42.0.0"));
        await _host.States.SaveAsync(new PluginStateRecord("test.off", false, "1.0.0"), CancellationToken.None);
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        string[] ids = ["test.on", "test.bad", "test.needs", "test.off", "test.future"];
        Assert.That(ids.Select(id => PluginStates.Name(Info(id).State)), Is.EqualTo(new[] { "active", "failed", "blocked", "disabled", "degraded" }));

        for (var i = 0; i < ids.Length; i++)
        {
            var before = Info(ids[i]);
            try
            {
                _ = operation switch
                {
                    "disable" => await _host.Runtime.DisableAsync(ids[i], CancellationToken.None),
                    "enable" => await _host.Runtime.EnableAsync(ids[i], CancellationToken.None),
                    "reload" => await _host.Runtime.ReloadAsync(ids[i], CancellationToken.None),
                    _ => (await _host.Runtime.UnloadAsync(ids[i], CancellationToken.None)).Plugin,
                };
                Assert.That(PluginStates.Name(Info(ids[i]).State), Is.EqualTo(expected[i]), $"{operation} {ids[i]} from {PluginStates.Name(before.State)}");
            }
            catch (PluginOperationException ex)
            {
                Assert.That(expected[i], Is.Null, $"{operation} {ids[i]} was refused: {ex.Message}");
                Assert.That(Info(ids[i]).State, Is.EqualTo(before.State), "a refused operation changes nothing");
            }
        }
    }

    [Test]
    public async Task A_setup_that_hangs_times_out_and_the_boot_goes_on()
    {
        _host.SetupTimeout = TimeSpan.FromMilliseconds(300);
        var failed = _host.Record(CoreTopics.PluginSetupFailed);
        _host.AddProbe("stuck", ProbeManifest.Create("test.stuck", S(("setup", "hang"), ("hang_ms", "4000"))));
        _host.AddProbe("fine", ProbeManifest.Create("test.fine"));
        var clock = Stopwatch.StartNew();
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3.5)), "did not wait for the hung setup");
        Assert.That(Info("test.stuck").State, Is.EqualTo(PluginState.Failed));
        Assert.That(Info("test.stuck").Reason, Does.Contain("did not finish within 0.3s").And.Contain("LYNDRIX_PLUGIN_SETUP_TIMEOUT"));
        Assert.That(failed.Single().Payload.GetString("plugin_id"), Is.EqualTo("test.stuck"));
        Assert.That(Info("test.fine").State, Is.EqualTo(PluginState.Active));
    }

    [Test]
    public async Task Starts_dependencies_first_whatever_the_folder_order()
    {
        var ready = _host.Record("probe:ready");
        // Folder names sort the dependent first.
        _host.AddProbe("a-app", ProbeManifest.Create("test.app", S(("emit_on_setup", "probe:ready")), emit: ["probe:ready"], dependencies: [("test.lib", "^1.2")], eventDomains: []));
        _host.AddProbe("b-lib", ProbeManifest.Create("test.lib", S(("emit_on_setup", "probe:ready")), emit: ["probe:ready"], version: "1.4.0", eventEmitters: ["test.app"]));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(ready.Select(e => e.Payload.GetString("plugin")), Is.EqualTo(new[] { "test.lib", "test.app" }));
        Assert.That(Info("test.app").State, Is.EqualTo(PluginState.Active));
    }

    [Test]
    public async Task Blocks_on_missing_dependencies_wrong_versions_and_cycles_and_carries_on()
    {
        _host.AddProbe("needs-ghost", ProbeManifest.Create("test.needs-ghost", dependencies: [("test.ghost", "*")]));
        _host.AddProbe("old-lib", ProbeManifest.Create("test.oldlib", version: "0.9.0"));
        _host.AddProbe("needs-new", ProbeManifest.Create("test.needs-new", dependencies: [("test.oldlib", ">=1.0.0")]));
        _host.AddProbe("ping", ProbeManifest.Create("test.ping", dependencies: [("test.pong", "*")]));
        _host.AddProbe("pong", ProbeManifest.Create("test.pong", dependencies: [("test.ping", "*")]));
        var summary = await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(Info("test.needs-ghost").Reason, Does.Contain("test.ghost").And.Contain("not installed"));
            Assert.That(Info("test.needs-new").Reason, Does.Contain(">=1.0.0").And.Contain("0.9.0"));
            Assert.That(Info("test.ping").Reason, Does.Contain("cycle test.ping -> test.pong -> test.ping"));
            Assert.That(Info("test.pong").State, Is.EqualTo(PluginState.Blocked));
            Assert.That(Info("test.oldlib").State, Is.EqualTo(PluginState.Active));
            Assert.That(summary.Blocked, Is.EqualTo(4));
            Assert.That(Info("test.ping").Loaded, Is.False, "blocked plugins' code is never loaded");
        });
    }

    [Test]
    public async Task A_dependency_that_fails_blocks_its_dependents()
    {
        _host.AddProbe("lib", ProbeManifest.Create("test.lib", S(("setup", "throw"))));
        _host.AddProbe("app", ProbeManifest.Create("test.app", dependencies: [("test.lib", "*")]));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(Info("test.lib").State, Is.EqualTo(PluginState.Failed));
        Assert.That(Info("test.app").State, Is.EqualTo(PluginState.Blocked));
        Assert.That(Info("test.app").Reason, Does.Contain("needs test.lib, which is failed"));
    }

    [Test]
    public async Task A_plugin_needing_a_newer_api_is_degraded_and_never_loaded()
    {
        _host.AddProbe("future", ProbeManifest.Create("test.future", minCoreVersion: "42.0.0"));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        var info = Info("test.future");
        Assert.That(info.State, Is.EqualTo(PluginState.Degraded));
        Assert.That(info.Reason, Does.Contain("42.0.0").And.Contain(LyndrixApi.Version));
        Assert.That(info.Loaded, Is.False);
    }

    [Test]
    public async Task An_invalid_manifest_is_degraded_with_the_validation_errors()
    {
        var dir = _host.AddProbe("broken", ProbeManifest.Create("test.broken"));
        File.WriteAllText(Path.Combine(dir, "plugin.json"), """{ "id": "test.broken", "name": "x", "version": "one", "entryAssembly": "Probe.dll" }""");
        _host.AddProbe("core-claim", ProbeManifest.Create("lyndrix.core.fake", type: "CORE"));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(Info("test.broken").State, Is.EqualTo(PluginState.Degraded));
        Assert.That(Info("test.broken").Reason, Does.Contain("not a semantic version"));
        Assert.That(Info("lyndrix.core.fake").Reason, Does.Contain("reserved for first-party modules"));
    }

    [Test]
    public async Task A_first_party_module_from_the_built_in_folder_may_be_core()
    {
        _host.AddProbe("ldap", ProbeManifest.Create("lyndrix.core.ldap", S(("provider_id", "ldap")), type: "CORE"), builtIn: true);
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(Info("lyndrix.core.ldap"), Has.Property("State").EqualTo(PluginState.Active).And.Property("Origin").EqualTo("builtin"));
        Assert.That(_host.Providers.All.ContainsKey("ldap"), Is.True, "the first-party LDAP module owns the built-in id");
    }

    [Test]
    public async Task A_plugin_the_operator_disabled_stays_disabled_and_unloaded()
    {
        await _host.States.SaveAsync(new PluginStateRecord("test.off", false, "1.0.0"), default);
        _host.AddProbe("off", ProbeManifest.Create("test.off"));
        var manual = ProbeManifest.Create("test.manual");
        manual["auto_enable_on_install"] = false;
        _host.AddProbe("manual", manual);
        var summary = await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(summary.Disabled, Is.EqualTo(2));
        Assert.That(Info("test.off"), Has.Property("State").EqualTo(PluginState.Disabled).And.Property("Loaded").False);
        Assert.That((await _host.States.GetAsync("test.manual", default))!.IsActive, Is.False);
    }

    [Test]
    public async Task A_permission_violation_in_setup_fails_the_plugin_with_a_security_event()
    {
        var denied = _host.Record(CoreTopics.SecurityPermissionDenied);
        _host.AddProbe("nosy", ProbeManifest.Create("test.nosy", S(("subscribe", "db:connected"))));
        _host.AddProbe("polite", ProbeManifest.Create("test.polite", S(("subscribe", "db:connected"), ("catch_denied", "true")), emit: ["probe:denied"]));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(Info("test.nosy").State, Is.EqualTo(PluginState.Failed));
        Assert.That(Info("test.nosy").Reason, Does.Contain("ModulePermissionDeniedException").And.Contain("db:connected"));
        Assert.That(Info("test.polite").State, Is.EqualTo(PluginState.Active), "a plugin may catch the refusal and carry on");
        Assert.That(denied.Select(e => e.Payload.GetString("module_id")), Is.EquivalentTo(new[] { "test.nosy", "test.polite" }));
        Assert.That(_host.Logs.Entries.Where(l => l.Level == LogLevel.Warning).Select(l => l.Message), Has.Some.Contain("PERMISSION_DENIED module test.nosy"));
    }

    [Test]
    public async Task Disable_tears_down_and_removes_subscriptions_tasks_and_providers_then_enable_restores_them()
    {
        var echo = _host.Record("probe:echo");
        _host.AddProbe("p", ProbeManifest.Create("test.p",
            S(("subscribe", "demo:ping"), ("echo_topic", "probe:echo"), ("task", "true"), ("provider_id", "probe-sso"), ("secret_key", "token"), ("secret_value", "abc")),
            subscribe: ["demo:ping"], emit: ["probe:echo"]));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        _host.Bus.Emit("demo:ping");
        await Support.Eventually.True(() => echo.Count == 1, "the active plugin hears demo:ping");
        Assert.That(_host.Providers.All.ContainsKey("probe-sso"), Is.True);
        Assert.That(_host.Secrets.Read("plugins/test.p")["token"], Is.EqualTo("abc"));
        Assert.That(_host.Tasks.RunningCount, Is.EqualTo(1));

        var disabled = await _host.Runtime.DisableAsync("test.p", CancellationToken.None);
        Assert.That(disabled.State, Is.EqualTo(PluginState.Disabled));
        Assert.That(disabled.Loaded, Is.True, "disable keeps the code; unload releases it");
        Assert.That(_host.Bus.CountFor("test.p"), Is.Zero);
        Assert.That(_host.Tasks.RunningCount, Is.Zero);
        Assert.That(_host.Providers.All.ContainsKey("probe-sso"), Is.False);
        Assert.That((await _host.States.GetAsync("test.p", default))!.IsActive, Is.False);
        _host.Bus.Emit("demo:ping");
        await Task.Delay(100);
        Assert.That(echo, Has.Count.EqualTo(1), "a disabled plugin hears nothing");

        var enabled = await _host.Runtime.EnableAsync("test.p", CancellationToken.None);
        Assert.That(enabled.State, Is.EqualTo(PluginState.Active));
        Assert.That(_host.Bus.CountFor("test.p"), Is.EqualTo(1), "one subscription again, not two");
        _host.Bus.Emit("demo:ping");
        await Support.Eventually.True(() => echo.Count == 2, "the re-enabled plugin hears demo:ping once");
        await Task.Delay(100);
        Assert.That(echo, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Disabling_a_dependency_blocks_its_dependents_and_enabling_it_restarts_them()
    {
        _host.AddProbe("lib", ProbeManifest.Create("test.lib"));
        _host.AddProbe("app", ProbeManifest.Create("test.app", S(("subscribe", "demo:x")), subscribe: ["demo:x"], dependencies: [("test.lib", "*")]));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        await _host.Runtime.DisableAsync("test.lib", CancellationToken.None);
        Assert.That(Info("test.app").State, Is.EqualTo(PluginState.Blocked));
        Assert.That(Info("test.app").Reason, Does.Contain("needs test.lib, which is disabled"));
        Assert.That(_host.Bus.CountFor("test.app"), Is.Zero);
        await _host.Runtime.EnableAsync("test.lib", CancellationToken.None);
        Assert.That(Info("test.app").State, Is.EqualTo(PluginState.Active));
    }

    [Test]
    public async Task A_teardown_that_hangs_or_throws_does_not_stop_the_cleanup()
    {
        _host.TeardownTimeout = TimeSpan.FromMilliseconds(200);
        _host.AddProbe("hang", ProbeManifest.Create("test.hang", S(("teardown", "hang"), ("task", "true"))));
        _host.AddProbe("throw", ProbeManifest.Create("test.throw", S(("teardown", "throw"))));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That((await _host.Runtime.DisableAsync("test.hang", CancellationToken.None)).State, Is.EqualTo(PluginState.Disabled));
        Assert.That((await _host.Runtime.DisableAsync("test.throw", CancellationToken.None)).State, Is.EqualTo(PluginState.Disabled));
        Assert.That(_host.Tasks.RunningCount, Is.Zero);
        Assert.That(_host.Logs.AllText, Does.Contain("teardown ran longer than").And.Contain("teardown threw InvalidOperationException"));
    }

    [Test]
    public async Task Reload_picks_up_a_folder_replaced_on_disk()
    {
        var dir = _host.AddProbe("p", ProbeManifest.Create("test.p", S(("emit_on_setup", "probe:ready")), emit: ["probe:ready"]));
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(Info("test.p").Version, Is.EqualTo("1.0.0"));

        var ready = _host.Record("probe:ready");
        var replacement = Path.Combine(_host.Root, "incoming");
        PluginFixtures.CopyDirectory(PluginFixtures.Published("Probe"), replacement);
        File.WriteAllText(Path.Combine(replacement, "plugin.json"),
            ProbeManifest.Create("test.p", S(("emit_on_setup", "probe:v2")), emit: ["probe:v2"], version: "2.0.0").ToJsonString());
        Directory.Delete(dir, recursive: true);
        Directory.Move(replacement, dir);
        var v2 = _host.Record("probe:v2");

        var info = await _host.Runtime.ReloadAsync("test.p", CancellationToken.None);
        Assert.That(info.State, Is.EqualTo(PluginState.Active));
        Assert.That(info.Version, Is.EqualTo("2.0.0"));
        Assert.That(v2, Has.Count.EqualTo(1), "the new code and manifest ran");
        Assert.That(ready, Is.Empty);
        Assert.That((await _host.States.GetAsync("test.p", default))!.InstalledVersion, Is.EqualTo("2.0.0"));
    }

    [Test]
    public async Task Unknown_ids_and_impossible_operations_are_refused_with_help()
    {
        _host.AddProbe("future", ProbeManifest.Create("test.future", minCoreVersion: "42.0.0"));
        var early = Assert.ThrowsAsync<PluginOperationException>(() => _host.Runtime.EnableAsync("test.future", CancellationToken.None));
        Assert.That(early!.StatusCode, Is.EqualTo(409));
        Assert.That(early.Message, Does.Contain("not been started yet"));

        await _host.Runtime.StartAllAsync(CancellationToken.None);
        var missing = Assert.ThrowsAsync<PluginOperationException>(() => _host.Runtime.EnableAsync("test.nope", CancellationToken.None));
        Assert.That(missing!.StatusCode, Is.EqualTo(404));
        Assert.That(missing.Message, Does.Contain("GET /api/plugins"));
        var degraded = Assert.ThrowsAsync<PluginOperationException>(() => _host.Runtime.EnableAsync("test.future", CancellationToken.None));
        Assert.That(degraded!.StatusCode, Is.EqualTo(409));
        Assert.That(degraded.Message, Does.Contain("42.0.0"));
    }

    [Test]
    public async Task A_choice_that_cannot_be_saved_changes_nothing()
    {
        var store = new Mock<IPluginStateStore>();
        store.Setup(s => s.ListAsync(It.IsAny<CancellationToken>())).ReturnsAsync([]);
        store.Setup(s => s.SaveAsync(It.IsAny<PluginStateRecord>(), It.IsAny<CancellationToken>())).ThrowsAsync(new InvalidOperationException("database is down"));
        await using var runtime = new PluginRuntime(
            new PluginRuntimeSettings { PluginsDir = _host.PluginsDir, BuiltInModulesDir = _host.BuiltInDir, SetupTimeout = TimeSpan.FromSeconds(5), TeardownTimeout = TimeSpan.FromSeconds(1), UnloadTimeout = TimeSpan.FromSeconds(5) },
            _host.Bus, _host.Tasks, _host.Secrets, _host.Providers, store.Object, _host.Config, LoggerFactory.Create(_ => { }));
        _host.AddProbe("p", ProbeManifest.Create("test.p"));
        await runtime.StartAllAsync(CancellationToken.None);
        Assert.That(runtime.Get("test.p")!.State, Is.EqualTo(PluginState.Active), "an unavailable store does not stop the boot");
        var ex = Assert.ThrowsAsync<PluginOperationException>(() => runtime.DisableAsync("test.p", CancellationToken.None));
        Assert.That(ex!.StatusCode, Is.EqualTo(503));
        Assert.That(ex.Message, Does.Contain("nothing was changed").And.Contain("database is down"));
        Assert.That(runtime.Get("test.p")!.State, Is.EqualTo(PluginState.Active));
    }

    [Test]
    public async Task Rescan_starts_a_folder_added_after_boot()
    {
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        _host.AddProbe("late", ProbeManifest.Create("test.late"));
        var added = await _host.Runtime.RescanAsync(CancellationToken.None);
        Assert.That(added.Single(), Has.Property("Id").EqualTo("test.late").And.Property("State").EqualTo(PluginState.Active));
        Assert.That(await _host.Runtime.RescanAsync(CancellationToken.None), Is.Empty, "nothing new the second time");
    }

    [Test]
    public async Task Two_plugins_with_different_versions_of_one_dependency_both_work()
    {
        var reports = _host.Record("isolation:report");
        _host.AddPublished("JsonOld");
        _host.AddPublished("JsonNew");
        var summary = await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(summary.Active, Is.EqualTo(2), string.Join("\n", _host.Runtime.List().Select(p => $"{p.Id}: {p.State} {p.Reason}")));
        var byPlugin = reports.ToDictionary(e => e.Payload.GetString("plugin")!, e => e.Payload);
        Assert.That(byPlugin["test.jsonold"].GetString("json_version"), Is.EqualTo("12.0.0.0"));
        Assert.That(byPlugin["test.jsonnew"].GetString("json_version"), Is.EqualTo("13.0.0.0"));
        Assert.That(byPlugin["test.jsonold"].GetString("output"), Is.EqualTo("""{"plugin":"test.jsonold","answer":42}"""));
        Assert.That(byPlugin["test.jsonnew"].GetString("output"), Is.EqualTo("""{"plugin":"test.jsonnew","answer":42}"""));
    }
}
