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
        _host = new PluginHarness();
        _host.Isolation = new IsolationSettings
        {
            DefaultMode = IsolationSettings.Process,
            Command = ["dotnet", HostProcess.Executable],
            WorkRoot = Path.Combine(_host.Root, "work"),
            Config = _host.Config,
        };
    }

    [TearDown]
    public async Task TearDown() => await _host.DisposeAsync();

    private static Dictionary<string, string> S(params (string Key, string Value)[] items) => items.ToDictionary(i => i.Key, i => i.Value);

    [Test]
    public async Task Secrets_events_and_an_auth_provider_work_across_the_channel_and_no_plugin_code_loads_into_the_host()
    {
        _host.AddProbe("p", ProbeManifest.Create("test.p",
            S(("secret_key", "api_key"), ("secret_value", "v-123"), ("subscribe", "demo:ping"), ("echo_topic", "test.p:echo"), ("provider_id", "probe-auth")),
            subscribe: ["demo:ping"], emit: ["test.p:echo"]));
        var echoes = _host.Record("test.p:echo");
        await _host.Runtime.StartAllAsync(CancellationToken.None);

        var info = _host.Runtime.Get("test.p")!;
        Assert.That(info.State, Is.EqualTo(PluginState.Active), info.Reason + "\n" + _host.Logs.AllText);
        Assert.That((info.Isolation, info.Loaded), Is.EqualTo((IsolationSettings.Process, false)), "runs in a child, nothing loaded here");
        Assert.That(info.ProcessId, Is.Not.Null.And.Not.EqualTo(Environment.ProcessId));
        Assert.That(AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name), Has.None.EqualTo("Probe"));
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
        Assert.That(states.Select(e => (e.Payload.GetString("plugin_id"), e.Payload.GetString("state"))), Has.Member(("test.crash", PluginState.Failed)));
        Assert.That(_host.Runtime.Get("test.calm")!.State, Is.EqualTo(PluginState.Active), "the others go on");

        var result = await _host.Runtime.UnloadAsync("test.calm", CancellationToken.None);
        Assert.That(result.Unloaded, Is.True);
        Assert.That(result.Detail, Does.Contain("its own process"));
        Assert.That(() => Process.GetProcessById(calm.ProcessId!.Value).HasExited, Throws.ArgumentException.Or.True, "the child is gone");
    }
}
