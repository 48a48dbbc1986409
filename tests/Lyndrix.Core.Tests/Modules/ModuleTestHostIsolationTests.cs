using System.Reflection;
using Lyndrix.Core.Tests.Modules.Isolation;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Lyndrix.Sdk.Testing;

namespace Lyndrix.Core.Tests.Modules;

/// <summary>
/// The test kit runs the same tests of the four samples in both modes: in-process, and in a child process of the real
/// <c>lyndrix</c> executable over the host's own channel (the host's end of it compiled into the kit).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ModuleTestHostIsolationTests
{
    [OneTimeSetUp]
    public Task BuildFixtures() => PluginFixtures.EnsureBuiltAsync();

    private static ModuleTestHost Host(string sample, TestIsolation isolation)
    {
        var host = ModuleTestHost.FromManifestFile(Path.Combine(PluginFixtures.Published(sample), "plugin.json"));
        host.Isolation = isolation;
        host.HostPath = HostProcess.Executable;
        return host;
    }

    /// <summary>An instance of the sample's module, loaded from its published folder.</summary>
    private static ILyndrixModule Module(string sample, string assembly)
    {
        var loaded = Assembly.LoadFrom(Path.Combine(PluginFixtures.Published(sample), assembly));
        var type = loaded.GetExportedTypes().Single(t => typeof(ILyndrixModule).IsAssignableFrom(t));
        return (ILyndrixModule)Activator.CreateInstance(type)!;
    }

    private static IEnumerable<TestIsolation> Modes() => [TestIsolation.InProcess, TestIsolation.Process];

    [TestCaseSource(nameof(Modes))]
    public async Task Hello_greets_with_the_operators_greeting_once_the_host_has_booted(TestIsolation mode)
    {
        await using var host = Host("hello", mode);
        host.Settings["greeting"] = "Howdy";
        await host.StartAsync(Module("hello", "Hello.dll"));
        Assert.That(host.Subscriptions, Is.EqualTo(new[] { CoreTopics.SystemBootComplete }));

        await host.PublishAsync(CoreTopics.SystemBootComplete, EventPayload.Create(("status", "ok"), ("active_plugins", 1L)));

        Assert.That(host.Logs.Select(l => l.Message), Has.Some.Contains("Howdy, world!"));
    }

    [TestCaseSource(nameof(Modes))]
    public async Task Secrets_counts_its_visits_in_its_own_secret_and_cannot_reach_another_modules(TestIsolation mode)
    {
        await using var host = Host("secrets", mode);
        host.Secrets["visits"] = "41";
        await host.StartAsync(Module("secrets", "Secrets.dll"));

        await host.PublishAsync(CoreTopics.VaultReadyForData);

        Assert.That(host.Secrets["visits"], Is.EqualTo("42"));
        Assert.That(host.Logs.Select(l => l.Message), Has.Some.Contains("another module's secrets are out of reach"));
    }

    [TestCaseSource(nameof(Modes))]
    public async Task Authprovider_signs_in_its_demo_user_and_may_not_take_over_local(TestIsolation mode)
    {
        await using var host = Host("authprovider", mode);
        await host.StartAsync(Module("authprovider", "AuthProvider.dll"));
        await host.PublishAsync(CoreTopics.VaultReadyForData);

        var password = host.Secrets["demo_password"];
        var provider = host.AuthProviders["sample-static"];
        Assert.That((await provider.AuthenticateAsync("demo", password, CancellationToken.None))?.Username, Is.EqualTo("demo"));
        Assert.That(await provider.AuthenticateAsync("demo", password + "x", CancellationToken.None), Is.Null);
        Assert.That(host.AuthProviders.Keys, Is.EqualTo(new[] { "sample-static" }));
        Assert.That(host.PermissionDenials.Select(d => (d.Operation, d.Resource)), Is.EqualTo(new[] { ("auth_provider", "local") }));
        Assert.That(host.Logs.Select(l => l.Message), Has.Some.Contains("refused to let a plugin take over 'local'").And.None.Contains(password));
    }

    [TestCaseSource(nameof(Modes))]
    public async Task Events_ticks_on_its_own_topic_and_is_refused_the_undeclared_and_the_cores(TestIsolation mode)
    {
        await using var host = Host("events", mode);
        host.Settings["interval_seconds"] = "1";
        await host.StartAsync(Module("events", "Events.dll"));
        await host.PublishAsync(CoreTopics.SystemBootComplete, EventPayload.Create(("status", "ok"), ("active_plugins", 1L)));

        await Eventually.True(() => host.EmittedEvents.Any(e => e.Topic == "events:tick"), "a tick is emitted", 20);
        Assert.That(host.EmittedEvents.Select(e => e.Topic).Distinct(), Is.EqualTo(new[] { "events:tick" }));
        Assert.That(host.PermissionDenials.Select(d => d.Resource), Is.EquivalentTo(new[] { "events:undeclared", CoreTopics.VaultReadyForData }));
    }

    [Test]
    public async Task In_process_mode_the_module_runs_in_a_child_that_ends_with_the_test_host()
    {
        var host = Host("hello", TestIsolation.Process);
        await host.StartAsync(Module("hello", "Hello.dll"));
        Assert.That(PluginChildren.Of(Environment.ProcessId), Has.Count.EqualTo(1), "one plugin-host child while it runs");

        await host.DisposeAsync();
        Assert.That(PluginChildren.Of(Environment.ProcessId), Is.Empty);
    }

    [Test]
    public void Process_mode_without_a_host_or_a_plugin_folder_says_what_is_missing()
    {
        var nowhere = Host("hello", TestIsolation.Process);
        nowhere.HostPath = "/nonexistent/lyndrix.dll";
        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => nowhere.StartAsync(Module("hello", "Hello.dll")));
        Assert.That(ex!.Message, Does.Contain("/nonexistent/lyndrix.dll").And.Contain("LYNDRIX_HOST").And.Contain("dotnet tool install"));

        var inCode = new ModuleTestHost(new ModuleManifest { Id = "lyndrix.sample.hello", Name = "Hello", Version = "1.0.0", EntryAssembly = "Hello.dll" })
        {
            Isolation = TestIsolation.Process,
            HostPath = HostProcess.Executable,
        };
        ex = Assert.ThrowsAsync<InvalidOperationException>(() => inCode.StartAsync(Module("hello", "Hello.dll")));
        Assert.That(ex!.Message, Does.Contain("FromManifestFile"));

        var wrongType = Host("hello", TestIsolation.Process);
        ex = Assert.ThrowsAsync<InvalidOperationException>(() => wrongType.StartAsync(Module("secrets", "Secrets.dll")));
        Assert.That(ex!.Message, Does.Contain("Secrets.dll").And.Contain("Hello.dll"));
        Assert.That(PluginChildren.Of(Environment.ProcessId), Is.Empty, "nothing was started");
    }
}
