using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Lyndrix.Sdk.Testing;

namespace Lyndrix.Core.Tests.Modules;

/// <summary>The Lyndrix.Sdk.Testing host applies the same rules a plugin meets in the real host.</summary>
public sealed class ModuleTestHostTests
{
    private static ModuleManifest Manifest(string[] subscribe, string[] emit) => new()
    {
        Id = "acme.greeter",
        Name = "Greeter",
        Version = "1.0.0",
        Permissions = new ModulePermissions { Subscribe = subscribe, Emit = emit },
        EventDomains = ["greeter"],
        SettingsSchema = [new SettingDefinition { Key = "greeting", Default = "hello" }, new SettingDefinition { Key = "token", Kind = "secret" }],
    };

    private sealed class Greeter : ILyndrixModule
    {
        public Task SetupAsync(IModuleContext context, CancellationToken cancellationToken)
        {
            context.Subscribe(CoreTopics.VaultReadyForData, async (_, ct) =>
                await context.SetSecretAsync("greeted", context.Settings["greeting"]!, ct));
            context.Subscribe(CoreTopics.SystemBootComplete, (_, _) =>
            {
                context.Emit("greeter:said", EventPayload.Create(("text", context.Settings["greeting"])));
                return Task.CompletedTask;
            });
            return Task.CompletedTask;
        }
    }

    [Test]
    public async Task UpdateSecretAsync_is_atomic_in_the_test_kit_too()
    {
        await using var host = new ModuleTestHost(Manifest([], []));
        await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() =>
            host.Context.UpdateSecretAsync("n", v => ((v is null ? 0 : int.Parse(v, System.Globalization.CultureInfo.InvariantCulture)) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)))));
        Assert.That(host.Secrets["n"], Is.EqualTo("50"));
        Assert.That(await host.Context.UpdateSecretAsync("n", _ => null), Is.Null);
        Assert.That(host.Secrets.ContainsKey("n"), Is.False);
        Assert.ThrowsAsync<ArgumentException>(() => host.Context.UpdateSecretAsync("../x", v => v), "the same key rules as Get/Set");
    }

    [Test]
    public async Task Replays_readiness_to_late_subscribers_and_records_emits()
    {
        await using var host = new ModuleTestHost(Manifest([CoreTopics.VaultReadyForData, CoreTopics.SystemBootComplete], ["greeter:said"]));
        host.Settings["greeting"] = "hi";
        await host.PublishAsync(CoreTopics.VaultReadyForData);
        await host.StartAsync(new Greeter());
        Assert.That(host.Secrets["greeted"], Is.EqualTo("hi"), "the handler ran on the replayed readiness event before StartAsync returned");
        await host.PublishAsync(CoreTopics.SystemBootComplete);
        var said = host.EmittedEvents.Single();
        Assert.That(said.Topic, Is.EqualTo("greeter:said"));
        Assert.That(said.Payload.GetString("text"), Is.EqualTo("hi"));
        Assert.That(said.Source, Is.EqualTo("acme.greeter"));
        Assert.That(host.Settings.ContainsKey("token"), Is.False, "secret settings are not plain settings");
    }

    [Test]
    public async Task Refuses_what_the_manifest_does_not_allow_and_records_it()
    {
        await using var host = new ModuleTestHost(Manifest([], ["*"]));
        Assert.That(() => host.StartAsync(new Greeter()), Throws.TypeOf<ModulePermissionDeniedException>());
        Assert.That(host.PermissionDenials.Single().Resource, Is.EqualTo(CoreTopics.VaultReadyForData));
        Assert.Throws<ModulePermissionDeniedException>(() => host.Context.Emit(CoreTopics.IamReady));
        Assert.Throws<ModulePermissionDeniedException>(() => host.Context.RegisterAuthProvider(new Probe("local")));
        Assert.ThrowsAsync<ArgumentException>(() => host.Context.GetSecretAsync("../core/settings"));
        host.SecretStoreAvailable = false;
        Assert.ThrowsAsync<SecretStoreUnavailableException>(() => host.Context.GetSecretAsync("ok"));
        Assert.That(host.PermissionDenials, Has.Count.EqualTo(3));
    }

    [Test]
    public async Task Refuses_to_emit_in_another_plugins_domain_like_the_host_unless_that_plugin_allows_it()
    {
        await using var host = new ModuleTestHost(Manifest([], ["*"]));
        Assert.DoesNotThrow(() => host.Context.Emit("greeter:said"), "a claimed domain");
        Assert.DoesNotThrow(() => host.Context.Emit("acme.greeter:said"), "its id is its domain");
        var ex = Assert.Throws<ModulePermissionDeniedException>(() => host.Context.Emit("billing:paid"));
        Assert.That(ex!.Message, Does.Contain("'billing' is not its domain"));

        host.AddInstalledPlugin(new ModuleManifest { Id = "acme.billing", Name = "Billing", Version = "1.0.0", EventDomains = ["billing"] });
        ex = Assert.Throws<ModulePermissionDeniedException>(() => host.Context.Emit("billing:paid"));
        Assert.That(ex!.Message, Does.Contain("belongs to plugin 'acme.billing'"));

        host.AddInstalledPlugin(new ModuleManifest { Id = "acme.shop", Name = "Shop", Version = "1.0.0", EventDomains = ["shop"], EventEmitters = ["acme.greeter"] });
        Assert.DoesNotThrow(() => host.Context.Emit("shop:greeted"), "the owner lists the module in event_emitters");
    }

    [Test]
    public async Task Stop_cancels_tasks_and_forgets_subscriptions_and_providers()
    {
        await using var host = new ModuleTestHost(Manifest(["demo:x"], []));
        host.Context.Subscribe("demo:x", (_, _) => Task.CompletedTask);
        host.Context.RegisterAuthProvider(new Probe("corp"));
        var task = host.Context.CreateTask("loop", ct => Task.Delay(Timeout.Infinite, ct));
        await host.StopAsync();
        Assert.That(task.IsCompleted, Is.True);
        Assert.That(host.Subscriptions, Is.Empty);
        Assert.That(host.AuthProviders, Is.Empty);
    }

    /// <summary>Manifests the host refuses (finding 4 of issue 13: the test kit used to accept the first one).</summary>
    private static readonly string[] RefusedManifests =
    [
        """{"id": "acme.greeter", "name": "G", "version": "1.0.0", "entryAssembly": "Lyndrix.Core.Tests.dll", "permissions": {"emit": ["system:boot_complete"]}}""",
        """{"id": "Acme/Greeter", "name": "G", "version": "1.0.0", "entryAssembly": "Lyndrix.Core.Tests.dll"}""",
        """{"id": "lyndrix.core.greeter", "name": "G", "version": "1.0.0", "entryAssembly": "Lyndrix.Core.Tests.dll"}""",
        """{"id": "acme.greeter", "name": "G", "version": "one", "entryAssembly": "Missing.dll"}""",
        """{"id": "acme.greeter", "name": "G", "version": "1.0.0", "entryAssembly": "Lyndrix.Core.Tests.dll", "isolation": "vm"}""",
        """{"id": "acme.greeter", "name": "G", "version": "1.0.0", "entryAssembly": "Lyndrix.Core.Tests.dll", "event_domains": ["vault"]}""",
        """{"id": "acme.greeter", "name": "G", "version": "1.0.0", "entryAssembly": "Lyndrix.Core.Tests.dll", "settings_schema": [{"key": "n", "kind": "int", "default": "many"}]}""",
        """{"id": "acme.greeter", "name": "G", "version": "1.0.0", "entryAssembly": "Lyndrix.Core.Tests.dll", "min_core_version": "99.0.0"}""",
        """[1, 2]""",
    ];

    [TestCaseSource(nameof(RefusedManifests))]
    public void A_manifest_the_host_refuses_is_refused_by_the_test_kit_in_the_host_s_words(string json)
    {
        using var folder = new Lyndrix.Core.Tests.Support.TempDirectory();
        File.Copy(typeof(ModuleTestHostTests).Assembly.Location, Path.Combine(folder.Path, "Lyndrix.Core.Tests.dll"));
        var manifest = Path.Combine(folder.Path, "plugin.json");
        File.WriteAllText(manifest, json);

        var host = Lyndrix.Core.Modules.PluginManifestReader.Read(folder.Path, Lyndrix.Core.Modules.PluginOrigin.PluginsDirectory);
        var reasons = host.IsValid ? [host.Incompatibility!] : host.Errors;
        Assert.That(reasons, Is.Not.Empty, "the host refuses it");

        var ex = Assert.Throws<InvalidDataException>(() => ModuleTestHost.FromManifestFile(manifest));
        foreach (var reason in reasons)
        {
            Assert.That(ex!.Message, Does.Contain(reason), "the test kit says what the host says");
        }
    }

    [Test]
    public void A_manifest_built_in_code_meets_the_same_rules()
    {
        var ex = Assert.Throws<InvalidDataException>(() => _ = new ModuleTestHost(Manifest([], [CoreTopics.SystemBootComplete])));
        Assert.That(ex!.Message, Does.Contain("'permissions.emit' lists 'system:boot_complete'"));
        Assert.DoesNotThrow(() => _ = new ModuleTestHost(Manifest([], ["greeter:said"])), "no folder, so no entry assembly to find");
    }

    [Test]
    public async Task Keys_and_provider_ids_are_refused_in_the_host_s_words()
    {
        await using var host = new ModuleTestHost(Manifest([], []));
        var longKey = new string('k', 129);
        var kit = Assert.ThrowsAsync<ArgumentException>(() => host.Context.GetSecretAsync(longKey));
        var core = Assert.Throws<ArgumentException>(() => Lyndrix.Core.Modules.PluginRules.ValidateSecretKey(longKey));
        Assert.That(kit!.Message, Is.EqualTo(core!.Message));
        Assert.DoesNotThrowAsync(() => host.Context.GetSecretAsync(new string('k', 128)));

        foreach (var id in new[] { "oidc", "Bad Id", new string('p', 65) })
        {
            var denied = Assert.Throws<ModulePermissionDeniedException>(() => host.Context.RegisterAuthProvider(new Probe(id)));
            Assert.That(denied!.Message, Is.EqualTo(Lyndrix.Core.Modules.PluginRules.ProviderRefusal("acme.greeter", id)));
        }
    }

    private sealed class Probe(string id) : Lyndrix.Sdk.Auth.IAuthProvider
    {
        public string ProviderId => id;

        public string DisplayName => id;

        public bool IsConfigured => true;

        public Task<Lyndrix.Sdk.Auth.AuthResult?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken) =>
            Task.FromResult<Lyndrix.Sdk.Auth.AuthResult?>(null);
    }
}
