using Lyndrix.Core.Modules;
using Lyndrix.Sdk;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Tests.Modules;

/// <summary>No silent type splits: a plugin that brings its own or a newer shared assembly is refused, naming both versions.</summary>
public sealed class TypeIdentityTests
{
    private PluginHarness _host = null!;
    private static readonly string HostSdk = typeof(ILyndrixModule).Assembly.GetName().Version!.ToString();
    private static readonly string HostLogging = typeof(ILogger).Assembly.GetName().Version!.ToString();

    [OneTimeSetUp]
    public Task BuildFixtures() => PluginFixtures.EnsureBuiltAsync();

    [SetUp]
    public void SetUp() => _host = new PluginHarness();

    [TearDown]
    public async Task TearDown() => await _host.DisposeAsync();

    private async Task<PluginInfo> StartAsync(string id)
    {
        await _host.Runtime.StartAllAsync(CancellationToken.None);
        return _host.Runtime.Get(id)!;
    }

    [Test]
    public async Task A_plugin_built_against_a_newer_sdk_is_refused_naming_both_versions()
    {
        _host.AddPublished("NewerSdkPlugin");
        var info = await StartAsync("test.newersdk");
        Assert.That(info.State, Is.EqualTo(PluginState.Failed));
        Assert.That(info.Reason, Does.Contain("Lyndrix.Sdk.dll (version 9.9.0.0)").And.Contain($"the host provides Lyndrix.Sdk {HostSdk}"));
        Assert.That(info.Reason, Does.Contain("compiled against Lyndrix.Sdk 9.9.0.0"));
        Assert.That(info.Loaded, Is.False, "refused before any code loaded");
    }

    [Test]
    public async Task A_plugin_built_against_a_newer_sdk_is_refused_even_without_the_copy()
    {
        var dir = _host.AddPublished("NewerSdkPlugin");
        File.Delete(Path.Combine(dir, "Lyndrix.Sdk.dll"));
        var info = await StartAsync("test.newersdk");
        Assert.That(info.Reason, Does.Contain($"NewerSdkPlugin.dll was compiled against Lyndrix.Sdk 9.9.0.0, but the host provides Lyndrix.Sdk {HostSdk}"));
    }

    [Test]
    public async Task A_plugin_carrying_a_copy_of_the_hosts_own_sdk_is_refused()
    {
        var dir = _host.AddProbe("copy", ProbeManifest.Create("test.copy"));
        File.Copy(typeof(ILyndrixModule).Assembly.Location, Path.Combine(dir, "Lyndrix.Sdk.dll"));
        var info = await StartAsync("test.copy");
        Assert.That(info.State, Is.EqualTo(PluginState.Failed));
        Assert.That(info.Reason, Does.Contain($"carries its own Lyndrix.Sdk.dll (version {HostSdk})").And.Contain("Delete Lyndrix.Sdk.dll"));
    }

    [Test]
    public async Task A_plugin_built_against_newer_logging_abstractions_is_refused()
    {
        _host.AddPublished("NewerLogging");
        var info = await StartAsync("test.newerlogging");
        Assert.That(info.State, Is.EqualTo(PluginState.Failed));
        Assert.That(info.Reason, Does.Contain($"compiled against Microsoft.Extensions.Logging.Abstractions 11.0.0.0, but the host provides Microsoft.Extensions.Logging.Abstractions {HostLogging}"));
    }

    [Test]
    public void Without_the_folder_check_the_load_time_check_still_catches_the_newer_reference()
    {
        // The default context hands the host's unsigned Lyndrix.Sdk 0.x to a plugin that asked for 9.9: no type split, but
        // a silent downgrade that would surface later as MissingMethodException. The check after loading names it.
        var dir = _host.AddPublished("NewerSdkPlugin");
        var descriptor = PluginManifestReader.Read(dir, PluginOrigin.PluginsDirectory);
        var ex = Assert.Throws<PluginLoadException>(() => PluginCodeLoader.Load(descriptor, SharedAssemblyPolicy.Host, checkFolderFirst: false));
        Assert.That(ex!.Message, Does.Contain("Refused after loading")
            .And.Contain($"NewerSdkPlugin.dll was compiled against Lyndrix.Sdk 9.9.0.0, but the host provides Lyndrix.Sdk {HostSdk}"));
    }

    [Test]
    public void Without_the_folder_check_a_strong_named_abstraction_the_host_cannot_supply_is_named()
    {
        var dir = _host.AddPublished("NewerLogging");
        var descriptor = PluginManifestReader.Read(dir, PluginOrigin.PluginsDirectory);
        var ex = Assert.Throws<PluginLoadException>(() => PluginCodeLoader.Load(descriptor, SharedAssemblyPolicy.Host, checkFolderFirst: false));
        Assert.That(ex!.Message, Does.Contain("Refused after loading").And.Contain("Microsoft.Extensions.Logging.Abstractions 11.0.0.0")
            .And.Contain(HostLogging));
    }

    [Test]
    public void The_shared_set_is_the_sdk_and_the_abstractions_it_exposes()
    {
        var names = SharedAssemblyPolicy.Host.Assemblies.Keys.Order(StringComparer.Ordinal).ToList();
        Assert.That(names, Is.EqualTo(new[]
        {
            "Lyndrix.Sdk", "Microsoft.Extensions.DependencyInjection.Abstractions", "Microsoft.Extensions.Logging.Abstractions",
        }));
    }

    [Test]
    public async Task A_clean_plugin_shares_the_hosts_types()
    {
        _host.AddProbe("clean", ProbeManifest.Create("test.clean"));
        var info = await StartAsync("test.clean");
        Assert.That(info.State, Is.EqualTo(PluginState.Active), info.Reason);
    }
}
