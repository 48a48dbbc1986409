using System.Net;
using System.Text.Json;
using Lyndrix.Core.Boot;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Events;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Tests.Hosting;

public sealed class HostApiTests
{
    private string _root = null!;

    [SetUp]
    public void SetUp() => _root = TestSettings.TempDirectory();

    [TearDown]
    public void TearDown() => Directory.Delete(_root, true);

    [Test]
    public async Task The_host_boots_to_boot_complete_and_reports_health_and_boot_state()
    {
        await using var host = await RunningHost.StartAsync(TestSettings.Host(_root));
        var bus = host.Get<EventBus>();
        await bus.WaitForAsync(CoreTopics.SystemBootComplete, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        using var health = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/api/health", UriKind.Relative)));
        Assert.That(health.RootElement.GetProperty("status").GetString(), Is.EqualTo("ok"));
        Assert.That(health.RootElement.GetProperty("instance").GetString(), Is.EqualTo(host.Get<HostSettings>().InstanceId).And.Not.Empty,
            "each host behind a load balancer says which it is");

        using var boot = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/api/boot", UriKind.Relative)));
        Assert.Multiple(() =>
        {
            Assert.That(boot.RootElement.GetProperty("phase").GetString(), Is.EqualTo(BootPhase.Ready));
            Assert.That(boot.RootElement.GetProperty("is_booting").GetBoolean(), Is.False);
            Assert.That(boot.RootElement.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("name").GetString()),
                Is.EqualTo(new[] { "vault", "database", "iam", "plugins" }));
        });
    }

    [Test]
    public async Task Health_reports_degraded_while_a_service_is_in_maintenance()
    {
        await using var host = await RunningHost.StartAsync(TestSettings.Host(_root));
        var bus = host.Get<EventBus>();
        await bus.WaitForAsync(CoreTopics.SystemBootComplete, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        bus.Emit(CoreTopics.SystemMaintenanceMode, EventPayload.Create(("service", "db"), ("active", true), ("reason", "max_retries")));
        using var degraded = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/api/health", UriKind.Relative)));
        bus.Emit(CoreTopics.SystemMaintenanceMode, EventPayload.Create(("service", "db"), ("active", false)));
        using var ok = JsonDocument.Parse(await host.Http.GetStringAsync(new Uri("/api/health", UriKind.Relative)));

        Assert.Multiple(() =>
        {
            Assert.That(degraded.RootElement.GetProperty("status").GetString(), Is.EqualTo("degraded"));
            Assert.That(degraded.RootElement.GetProperty("maintenance").GetProperty("db").GetString(), Is.EqualTo("max_retries"));
            Assert.That(ok.RootElement.GetProperty("status").GetString(), Is.EqualTo("ok"));
        });
    }

    [Test]
    public async Task Unknown_api_paths_are_404()
    {
        await using var host = await RunningHost.StartAsync(TestSettings.Host(_root));
        using var response = await host.Http.GetAsync(new Uri("/api/nope", UriKind.Relative));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
