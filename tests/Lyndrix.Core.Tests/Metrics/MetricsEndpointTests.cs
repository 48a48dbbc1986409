using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Sdk;
using Microsoft.Extensions.DependencyInjection;

namespace Lyndrix.Core.Tests.Metrics;

/// <summary><c>/metrics</c> scraped by a real HTTP client and parsed as Prometheus text.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class MetricsEndpointTests
{
    private const string AdminPassword = "Adm1n-Passw0rd-for-tests";

    private static readonly (string, string)[] Env =
    [
        ("LYNDRIX_ADMIN_PASSWORD", AdminPassword), ("LYNDRIX_BOT_PASSWORD", "B0t-Passw0rd-for-tests"),
        ("LYNDRIX_LOGIN_MAX_FAILURES_PER_USER", "2"), ("LYNDRIX_LOGIN_MAX_FAILURES_PER_CLIENT", "50"),
    ];

    [Test]
    public async Task Logins_throttles_secret_operations_boot_steps_and_states_are_scraped_by_administrators()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var token = await host.LoginAsync("admin", AdminPassword);
        for (var i = 0; i < 3; i++)
        {
            await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "bot", password = "wrong-" + i });
        }

        var scope = host.App.Services.GetRequiredService<IModuleSecretScopeFactory>().For(new ModuleManifest { Id = "metrics.probe", Name = "m", Version = "1.0.0" });
        await scope.SetAsync("k", "metrics-secret-value", CancellationToken.None);
        await scope.GetAsync("k", CancellationToken.None);
        await scope.GetAsync("missing", CancellationToken.None);

        using var anonymous = await host.Client.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        using var response = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/metrics", token));
        var text = await response.Content.ReadAsStringAsync();
        var samples = Parse(text);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
            Assert.That(Value(samples, "lyndrix_logins_total", "outcome=\"ok\"", "provider=\"local\""), Is.GreaterThanOrEqualTo(1));
            Assert.That(Value(samples, "lyndrix_logins_total", "outcome=\"failed\""), Is.EqualTo(2));
            Assert.That(Value(samples, "lyndrix_logins_total", "outcome=\"throttled\""), Is.EqualTo(1));
            Assert.That(Value(samples, "lyndrix_login_throttles_total"), Is.EqualTo(1));
            Assert.That(Value(samples, "lyndrix_secret_operations_total", "operation=\"write\"", "outcome=\"ok\""), Is.GreaterThanOrEqualTo(1));
            Assert.That(Value(samples, "lyndrix_secret_operations_total", "operation=\"read\"", "outcome=\"missing\""), Is.GreaterThanOrEqualTo(1));
            Assert.That(Value(samples, "lyndrix_secret_duration_seconds_count", "operation=\"read\""), Is.GreaterThanOrEqualTo(2));
            Assert.That(Value(samples, "lyndrix_boot_step_duration_seconds_count", "step=\"database\""), Is.EqualTo(1));
            Assert.That(Value(samples, "lyndrix_secret_store_state", "state=\"ready\""), Is.EqualTo(1));
            Assert.That(Value(samples, "lyndrix_database_connected"), Is.EqualTo(1));
            Assert.That(text, Does.Not.Contain("metrics-secret-value"));
            Assert.That(text, Does.Not.Contain("bot"), "no user names in labels");
        });
    }

    [Test]
    public async Task A_separate_metrics_listener_serves_only_metrics_and_without_a_session()
    {
        var port = FreePort();
        await using var host = await AuthHost.StartAsync([.. Env, ("LYNDRIX_METRICS_BIND", $"127.0.0.1:{port}")]);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        using var metrics = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
        using var other = await client.GetAsync(new Uri("/api/health", UriKind.Relative));
        using var onApiPort = await host.Client.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Multiple(async () =>
        {
            Assert.That(metrics.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Parse(await metrics.Content.ReadAsStringAsync()).Keys.Select(k => k.Name), Has.Some.StartsWith("lyndrix_"));
            Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(onApiPort.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the API port still wants an administrator");
        });
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static double Value(Dictionary<(string Name, string Labels), double> samples, string name, params string[] labels) =>
        samples.Where(s => s.Key.Name == name && labels.All(l => s.Key.Labels.Contains(l, StringComparison.Ordinal))).Sum(s => s.Value);

    /// <summary>The Prometheus text exposition format: <c>name{labels} value [timestamp]</c> per line, <c>#</c> for comments.</summary>
    private static Dictionary<(string Name, string Labels), double> Parse(string text)
    {
        var samples = new Dictionary<(string, string), double>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var close = line.LastIndexOf('}');
            var name = brace < 0 ? line[..line.IndexOf(' ', StringComparison.Ordinal)] : line[..brace];
            var labels = brace < 0 ? "" : line[(brace + 1)..close];
            var rest = (brace < 0 ? line[name.Length..] : line[(close + 1)..]).Trim().Split(' ')[0];
            samples[(name, labels)] = double.Parse(rest, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return samples;
    }
}
