using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Lyndrix.Sdk.Testing;
using NUnit.Framework;

namespace MyPlugin.Tests;

public sealed class PluginModuleTests
{
    [Test]
    public async Task Greets_once_the_host_has_booted()
    {
        await using var host = ModuleTestHost.FromManifestFile("plugin.json");
        host.Settings["greeting"] = "Howdy";
        await host.StartAsync(new PluginModule());
        Assert.That(host.EmittedEvents, Is.Empty, "nothing before the boot completes");

        await host.PublishAsync(CoreTopics.SystemBootComplete);

        var greeted = host.EmittedEvents.Single();
        Assert.That(greeted.Topic, Is.EqualTo("myplugin:greeted"));
        Assert.That(greeted.Payload.GetString("greeting"), Is.EqualTo("Howdy"));
    }

    [Test]
    public async Task May_only_emit_what_the_manifest_declares()
    {
        await using var host = ModuleTestHost.FromManifestFile("plugin.json");
        Assert.Throws<ModulePermissionDeniedException>(() => host.Context.Emit("myplugin:undeclared"));
        Assert.That(host.PermissionDenials, Has.Count.EqualTo(1));
    }
}
