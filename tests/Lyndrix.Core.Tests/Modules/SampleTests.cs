using Lyndrix.Core.Modules;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Tests.Modules;

/// <summary>Each sample in <c>samples/</c> loads in the host's runtime and does what its README says, unchanged in both
/// isolation modes: in the host's process and each in a child process.</summary>
public sealed class SampleTests
{
    private PluginHarness _host = null!;

    [OneTimeSetUp]
    public Task BuildFixtures() => PluginFixtures.EnsureBuiltAsync();

    [SetUp]
    public void SetUp() => _host = new PluginHarness();

    [TearDown]
    public async Task TearDown() => await _host.DisposeAsync();

    [TestCase("inprocess")]
    [TestCase("process")]
    public async Task Every_sample_loads_and_runs(string isolation)
    {
        if (isolation == "process")
        {
            _host.Isolated();
        }

        foreach (var sample in new[] { "hello", "secrets", "authprovider", "events" })
        {
            _host.AddPublished(sample);
        }

        _host.Config.Set("LYNDRIX_PLUGIN_LYNDRIX_SAMPLE_EVENTS_INTERVAL_SECONDS", "1");
        var ticks = _host.Record("events:tick");
        _host.Bus.Emit(CoreTopics.VaultReadyForData);
        var summary = await _host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(summary.Active, Is.EqualTo(4), string.Join("\n", _host.Runtime.List().Select(p => $"{p.Id}: {p.State} {p.Reason}")));
        _host.Bus.Emit(CoreTopics.SystemBootComplete, EventPayload.Create(("status", "success"), ("plugins_active", 4)));

        await Support.Eventually.True(() => _host.Logs.AllText.Contains("Hello, world! The host booted (success, 4 plugin(s) active)", StringComparison.Ordinal),
            "hello greets on system:boot_complete");
        await Support.Eventually.True(() => _host.Secrets.Read("plugins/lyndrix.sample.secrets").ContainsKey("visits"), "secrets counts its visits");
        Assert.That(_host.Secrets.Read("plugins/lyndrix.sample.secrets")["visits"], Is.EqualTo("1"));
        await Support.Eventually.True(() => _host.Logs.AllText.Contains("another module's secrets are out of reach", StringComparison.Ordinal), "secrets shows the confinement");

        await Support.Eventually.True(() => _host.Providers.All.TryGetValue("sample-static", out var p) && p.IsConfigured, "the provider is registered and configured");
        var password = _host.Secrets.Read("plugins/lyndrix.sample.authprovider")["demo_password"];
        var provider = _host.Providers.All["sample-static"];
        Assert.That(await provider.AuthenticateAsync("demo", password, default), Is.Not.Null);
        Assert.That(await provider.AuthenticateAsync("demo", "wrong", default), Is.Null);
        Assert.That(_host.Logs.AllText, Does.Not.Contain(password), "the generated password is never logged");
        Assert.That(_host.Logs.AllText, Does.Contain("refused to let a plugin take over 'local'"));

        await Support.Eventually.True(() => !ticks.IsEmpty, "events emits ticks after boot");
        Assert.That(_host.Logs.AllText, Does.Contain("Refused as expected (emit events:undeclared)").And.Contain("Refused as expected (emit vault:ready_for_data)"));
        Assert.That(_host.Logs.AllText, Does.Contain("PERMISSION_DENIED module lyndrix.sample.events emit events:undeclared"));

        var unload = await _host.Runtime.UnloadAsync("lyndrix.sample.events", CancellationToken.None);
        Assert.That(unload.Unloaded, Is.True, unload.Detail);
    }
}
