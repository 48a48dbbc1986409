using System.Collections.Concurrent;
using Lyndrix.Core.Boot;
using Lyndrix.Core.Events;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;
using Moq;

namespace Lyndrix.Core.Tests.Boot;

public sealed class BootSequenceTests
{
    private CapturingLoggerProvider _logs = null!;
    private EventBus _bus = null!;
    private BootState _state = null!;
    private ConcurrentQueue<string> _topics = null!;
    private string _root = null!;

    [SetUp]
    public void SetUp()
    {
        _logs = new CapturingLoggerProvider();
        _bus = TestBus.Create(_logs);
        _state = new BootState(TimeProvider.System);
        _topics = new ConcurrentQueue<string>();
        _root = TestSettings.TempDirectory();
        foreach (var topic in new[]
                 {
                     CoreTopics.SystemStarted, CoreTopics.VaultOpened, CoreTopics.DbConnected, CoreTopics.IamReady,
                     CoreTopics.SystemBootComplete, CoreTopics.SystemMaintenanceMode,
                 })
        {
            _bus.Subscribe(topic, "test", ev => _topics.Enqueue(ev.Topic));
        }

        _bus.Subscribe(CoreTopics.SystemBootPhase, "test", ev => _topics.Enqueue("phase:" + ev.Payload.GetString("phase")));
    }

    [TearDown]
    public async Task TearDown()
    {
        await _bus.DisposeAsync();
        Directory.Delete(_root, true);
    }

    private BootSequence Create(IPluginRuntime runtime, double stepTimeoutSeconds = 30) =>
        new(_bus, _state, runtime, TestSettings.Host(_root, ("LYNDRIX_BOOT_STEP_TIMEOUT", stepTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            _logs.CreateLogger<BootSequence>());

    /// <summary>Simulated core services that react like the real ones: started → vault → db → iam.</summary>
    private void ChainServices()
    {
        _bus.Subscribe(CoreTopics.SystemStarted, "svc", _ => _bus.Emit(CoreTopics.VaultOpened));
        _bus.Subscribe(CoreTopics.VaultOpened, "svc", _ => _bus.Emit(CoreTopics.DbConnected));
        _bus.Subscribe(CoreTopics.DbConnected, "svc", _ => _bus.Emit(CoreTopics.IamReady));
    }

    private static Mock<IPluginRuntime> Runtime(Func<Task<PluginStartSummary>>? start = null)
    {
        var runtime = new Mock<IPluginRuntime>();
        runtime.Setup(r => r.StartAllAsync(It.IsAny<CancellationToken>()))
            .Returns(start ?? (() => Task.FromResult(new PluginStartSummary(2, 0, 0, 0))));
        return runtime;
    }

    [Test]
    public async Task Topics_fire_in_the_documented_order()
    {
        ChainServices();
        var boot = Create(Runtime().Object);

        await boot.StartAsync(CancellationToken.None);
        await boot.Completion.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(_topics, Is.EqualTo(new[]
        {
            "phase:waiting_core", CoreTopics.SystemStarted, CoreTopics.VaultOpened, CoreTopics.DbConnected, CoreTopics.IamReady,
            "phase:loading_modules", "phase:ready", CoreTopics.SystemBootComplete,
        }));
        Assert.That(_state.Snapshot().Steps.Select(s => s.Status), Is.All.EqualTo("done"));
    }

    [Test]
    public async Task Boot_complete_waits_until_every_plugin_finished_setup()
    {
        ChainServices();
        var pluginsDone = new TaskCompletionSource<PluginStartSummary>();
        var boot = Create(Runtime(() => pluginsDone.Task).Object);

        await boot.StartAsync(CancellationToken.None);
        await Eventually.True(() => _state.Phase == BootPhase.LoadingModules, "loading_modules");
        await Task.Delay(100);
        Assert.That(_topics, Does.Not.Contain(CoreTopics.SystemBootComplete));

        pluginsDone.SetResult(new PluginStartSummary(1, 1, 0, 0));
        await boot.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(_topics, Does.Contain(CoreTopics.SystemBootComplete));
        Assert.That(_bus.TryGetLatest(CoreTopics.SystemBootComplete, out var ev) && ev.Payload.GetInt64("plugins_failed") == 1, Is.True);
    }

    [Test]
    public async Task A_step_that_times_out_says_what_it_waits_on_and_the_boot_resumes_when_it_arrives()
    {
        _bus.Subscribe(CoreTopics.VaultOpened, "svc", _ => _bus.Emit(CoreTopics.DbConnected));
        _bus.Subscribe(CoreTopics.DbConnected, "svc", _ => _bus.Emit(CoreTopics.IamReady));
        var boot = Create(Runtime().Object, stepTimeoutSeconds: 0.3);
        _state.Report("vault", "Vault is sealed and LYNDRIX_MASTER_KEY is not set: unseal it.");

        await boot.StartAsync(CancellationToken.None);
        await Eventually.True(() => _state.Phase == BootPhase.Failed, "failed phase after the timeout");

        var snapshot = _state.Snapshot();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Error, Does.Contain("secret store").And.Contain(CoreTopics.VaultOpened).And.Contain("LYNDRIX_MASTER_KEY"));
            Assert.That(snapshot.Steps.Single(s => s.Name == "vault").Status, Is.EqualTo("timed_out"));
            Assert.That(_topics, Does.Contain(CoreTopics.SystemMaintenanceMode));
            Assert.That(_state.HasSettled, Is.False, "failed, but still waiting for the step: not settled (the offline doctor waits on)");
        });

        _bus.Emit(CoreTopics.VaultOpened);
        await boot.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(_state.Phase, Is.EqualTo(BootPhase.Ready));
        Assert.That(_state.HasSettled, Is.True);
        Assert.That(_topics.Last(), Is.EqualTo(CoreTopics.SystemBootComplete));
    }

    [Test]
    public async Task A_failing_plugin_runtime_puts_the_boot_in_the_failed_phase_with_maintenance()
    {
        ChainServices();
        var boot = Create(Runtime(() => throw new InvalidOperationException("plugin folder unreadable")).Object);

        await boot.StartAsync(CancellationToken.None);
        await boot.Completion.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Multiple(() =>
        {
            Assert.That(_state.Phase, Is.EqualTo(BootPhase.Failed));
            Assert.That(_state.Error, Does.Contain("plugin folder unreadable"));
            Assert.That(_topics, Does.Contain(CoreTopics.SystemMaintenanceMode));
            Assert.That(_topics, Does.Not.Contain(CoreTopics.SystemBootComplete));
            Assert.That(_state.HasSettled, Is.True, "failed for good: nothing is still awaited");
        });
    }
}
