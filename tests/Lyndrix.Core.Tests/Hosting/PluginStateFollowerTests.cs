using Lyndrix.Core.Boot;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Data;
using Lyndrix.Core.Hosting;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace Lyndrix.Core.Tests.Hosting;

/// <summary>A plugin enabled or disabled through another host takes effect here within one sync interval.</summary>
public sealed class PluginStateFollowerTests
{
    private readonly Mock<IPluginStateStore> _store = new();
    private readonly Mock<IPluginSwitch> _switch = new();
    private readonly FakeTimeProvider _time = new();
    private readonly CapturingLoggerProvider _logs = new();
    private BootState _boot = null!;

    [SetUp]
    public void SetUp()
    {
        _store.Reset();
        _switch.Reset();
        _boot = new BootState(TimeProvider.System);
        _boot.SetPhase(BootPhase.Ready);
    }

    private PluginStateFollower Follower(double intervalSeconds = 5) => new(_store.Object, _switch.Object, _boot,
        HostSettings.Load(EnvironmentConfigSource.FromValues(new Dictionary<string, string> { ["LYNDRIX_PLUGIN_SYNC_INTERVAL"] = intervalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) }), "/"),
        _time, _logs.CreateLogger<PluginStateFollower>());

    private static PluginInfo Plugin(string id, bool enabled) => new() { Id = id, State = enabled ? PluginState.Active : PluginState.Disabled, Enabled = enabled, Origin = "plugins", Folder = id };

    private void Shared(params PluginStateRecord[] records) => _store.Setup(s => s.ListAsync(It.IsAny<CancellationToken>())).ReturnsAsync(records);

    [Test]
    public async Task A_plugin_disabled_elsewhere_is_disabled_here_and_one_enabled_elsewhere_is_enabled()
    {
        _switch.Setup(s => s.List()).Returns([Plugin("a", true), Plugin("b", false), Plugin("c", true)]);
        Shared(new PluginStateRecord("a", false, "1.0.0"), new PluginStateRecord("b", true, "1.0.0"), new PluginStateRecord("c", true, "1.0.0"),
            new PluginStateRecord("not-here", false, "1.0.0"));
        Assert.That(await Follower().FollowOnceAsync(CancellationToken.None), Is.EqualTo(2));
        _switch.Verify(s => s.DisableAsync("a", It.IsAny<CancellationToken>()), Times.Once);
        _switch.Verify(s => s.EnableAsync("b", It.IsAny<CancellationToken>()), Times.Once);
        _switch.Verify(s => s.EnableAsync("c", It.IsAny<CancellationToken>()), Times.Never);
        _switch.Verify(s => s.DisableAsync("c", It.IsAny<CancellationToken>()), Times.Never);
    }

    [Test]
    public async Task The_running_service_applies_a_change_within_one_interval()
    {
        _switch.Setup(s => s.List()).Returns([Plugin("a", true)]);
        Shared(new PluginStateRecord("a", false, "1.0.0"));
        using var follower = Follower(intervalSeconds: 2);
        await follower.StartAsync(CancellationToken.None);
        await Task.Delay(100);
        _switch.Verify(s => s.DisableAsync("a", It.IsAny<CancellationToken>()), Times.Never, "not before the interval");
        await Eventually.True(() =>
        {
            _time.Advance(TimeSpan.FromSeconds(2));
            return _switch.Invocations.Any(i => i.Method.Name == nameof(IPluginSwitch.DisableAsync));
        }, "disabled after one interval");
        await follower.StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task A_change_this_host_cannot_make_is_reported_once_not_retried_every_interval()
    {
        _switch.Setup(s => s.List()).Returns([Plugin("a", false)]);
        _switch.Setup(s => s.EnableAsync("a", It.IsAny<CancellationToken>())).ThrowsAsync(PluginOperationException.Conflict("Plugin 'a' cannot be enabled: refused"));
        Shared(new PluginStateRecord("a", true, "1.0.0"));
        var follower = Follower();
        await follower.FollowOnceAsync(CancellationToken.None);
        await follower.FollowOnceAsync(CancellationToken.None);
        _switch.Verify(s => s.EnableAsync("a", It.IsAny<CancellationToken>()), Times.Once);
        Assert.That(_logs.AllText, Does.Contain("cannot: Plugin 'a' cannot be enabled"));
    }

    [Test]
    public async Task An_unreadable_database_changes_nothing()
    {
        _store.Setup(s => s.ListAsync(It.IsAny<CancellationToken>())).ThrowsAsync(new DatabaseUnavailableException("down"));
        Assert.That(await Follower().FollowOnceAsync(CancellationToken.None), Is.Zero);
        _switch.Verify(s => s.List(), Times.Never);
    }
}
