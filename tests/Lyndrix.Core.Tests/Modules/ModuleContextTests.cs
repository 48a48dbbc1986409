using Lyndrix.Core.Tests.Modules.Fakes;
using System.Collections.Concurrent;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Events;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Auth;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Tests.Modules;

public sealed class ModuleContextTests
{
    private CapturingLoggerProvider _logs = null!;
    private ILoggerFactory _loggers = null!;
    private EventBus _bus = null!;
    private TaskTracker _tasks = null!;
    private AuthProviderRegistry _providers = null!;
    private InMemoryModuleSecretScopeFactory _secrets = null!;
    private ConcurrentQueue<LyndrixEvent> _denied = null!;

    [SetUp]
    public void SetUp()
    {
        _logs = new CapturingLoggerProvider();
        _loggers = LoggerFactory.Create(b => b.AddProvider(_logs));
        _bus = new EventBus(_loggers.CreateLogger<EventBus>(), TimeProvider.System);
        _tasks = new TaskTracker(_loggers.CreateLogger<TaskTracker>());
        _providers = new AuthProviderRegistry();
        _secrets = new InMemoryModuleSecretScopeFactory();
        _denied = new ConcurrentQueue<LyndrixEvent>();
        _bus.Subscribe(CoreTopics.SecurityPermissionDenied, "test", ev => _denied.Enqueue(ev));
    }

    [TearDown]
    public async Task TearDown()
    {
        await _tasks.DisposeAsync();
        await _bus.DisposeAsync();
        _loggers.Dispose();
        _logs.Dispose();
    }

    private ModuleContext Context(string[]? subscribe = null, string[]? emit = null, ModuleType type = ModuleType.Plugin, string id = "test.ctx",
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var manifest = new ModuleManifest
        {
            Id = id,
            Name = id,
            Version = "1.0.0",
            Type = type,
            Permissions = new ModulePermissions { Subscribe = subscribe ?? [], Emit = emit ?? [] },
            EventDomains = [.. (emit ?? []).Where(t => t != "*" && !CoreTopics.IsCoreOwned(t)).Select(ModuleManifest.DomainOf).Distinct()],
        };
        var contexts = new ModuleContextFactory(_bus, _tasks, _secrets, _providers, _loggers);
        contexts.Domains.Set(manifest);
        return contexts.Create(manifest, settings ?? new Dictionary<string, string?>());
    }

    private void AssertDenied(string operation, string resource)
    {
        Assert.That(_denied.Select(e => (e.Payload.GetString("module_id"), e.Payload.GetString("operation"), e.Payload.GetString("resource"))),
            Has.Member(("test.ctx", operation, resource)), "security:permission_denied event");
        Assert.That(_logs.Entries.Where(l => l.Level == LogLevel.Warning).Select(l => l.Message),
            Has.Some.Contain("PERMISSION_DENIED").And.Some.Contain(resource), "warning log");
    }

    [Test]
    public void Refuses_to_subscribe_to_an_undeclared_topic()
    {
        var ctx = Context(subscribe: ["system:boot_complete"]);
        var ex = Assert.Throws<ModulePermissionDeniedException>(() => ctx.Subscribe("db:connected", (_, _) => Task.CompletedTask));
        Assert.That(ex!.Message, Does.Contain("permissions.subscribe").And.Contain("db:connected"));
        Assert.That(ex.Operation, Is.EqualTo("subscribe"));
        AssertDenied("subscribe", "db:connected");
        Assert.That(_bus.CountFor("test.ctx"), Is.Zero);
    }

    [Test]
    public void Refuses_to_emit_an_undeclared_topic()
    {
        var ctx = Context(emit: ["hello:one"]);
        var heard = new ConcurrentQueue<LyndrixEvent>();
        _bus.Subscribe("hello:two", "test", ev => heard.Enqueue(ev));
        Assert.Throws<ModulePermissionDeniedException>(() => ctx.Emit("hello:two"));
        AssertDenied("emit", "hello:two");
        Assert.That(heard, Is.Empty, "nothing was emitted");
    }

    [Test]
    public void A_plugin_may_not_emit_core_topics_even_with_a_wildcard()
    {
        var ctx = Context(emit: ["*"]);
        var ex = Assert.Throws<ModulePermissionDeniedException>(() => ctx.Emit(CoreTopics.VaultReadyForData));
        Assert.That(ex!.Message, Does.Contain("belongs to the core"));
        Assert.That(_bus.TryGetLatest(CoreTopics.VaultReadyForData, out _), Is.False, "readiness was not faked");
        AssertDenied("emit", CoreTopics.VaultReadyForData);
        Assert.DoesNotThrow(() => ctx.Emit("test.ctx:anything"), "its own domain is open to a wildcard");
    }

    [Test]
    public void A_core_module_may_emit_core_topics()
    {
        var ctx = Context(emit: ["iam:ready"], type: ModuleType.Core);
        ctx.Emit("iam:ready");
        Assert.That(_bus.TryGetLatest("iam:ready", out var ev), Is.True);
        Assert.That(ev.Source, Is.EqualTo("test.ctx"));
    }

    [Test]
    public async Task Subscriptions_are_queued_and_owned_by_the_module()
    {
        var ctx = Context(subscribe: ["*"]);
        using var release = new SemaphoreSlim(0);
        var handled = new TaskCompletionSource<LyndrixEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        ctx.Subscribe("hello:ping", async (ev, ct) =>
        {
            await release.WaitAsync(ct);
            handled.TrySetResult(ev);
        });
        Assert.That(_bus.CountFor("test.ctx"), Is.EqualTo(1));

        // A handler that waits does not hold up the emitter: delivery goes through the subscriber's own queue.
        _bus.Emit("hello:ping", EventPayload.Create(("n", 1)));
        Assert.That(handled.Task.IsCompleted, Is.False);
        release.Release();
        var ev = await handled.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(ev.Payload.GetInt64("n"), Is.EqualTo(1));

        Assert.That(_bus.RemoveOwner("test.ctx"), Is.EqualTo(1));
    }

    [Test]
    public async Task Sticky_readiness_is_replayed_to_a_late_plugin_subscriber()
    {
        _bus.Emit(CoreTopics.VaultReadyForData);
        var ctx = Context(subscribe: [CoreTopics.VaultReadyForData]);
        var heard = new TaskCompletionSource<LyndrixEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        ctx.Subscribe(CoreTopics.VaultReadyForData, (ev, _) =>
        {
            heard.TrySetResult(ev);
            return Task.CompletedTask;
        });
        Assert.That((await heard.Task.WaitAsync(TimeSpan.FromSeconds(5))).Replayed, Is.True);
    }

    [Test]
    public async Task Secrets_are_confined_to_the_module_path()
    {
        var ctx = Context();
        var other = Context(id: "test.other");
        await ctx.SetSecretAsync("api_key", "s3cret");
        Assert.That(await ctx.GetSecretAsync("api_key"), Is.EqualTo("s3cret"));
        Assert.That(await other.GetSecretAsync("api_key"), Is.Null, "another module sees its own path only");
        Assert.That(_secrets.Read("plugins/test.ctx")["api_key"], Is.EqualTo("s3cret"));

        var core = Context(id: "lyndrix.core.x", type: ModuleType.Core);
        await core.SetSecretAsync("k", "v");
        Assert.That(_secrets.Read("core/lyndrix.core.x")["k"], Is.EqualTo("v"));
    }

    [TestCase("../other/key")]
    [TestCase("a/b")]
    [TestCase("")]
    [TestCase("with space")]
    public void Refuses_secret_keys_that_could_address_another_path(string key)
    {
        var ctx = Context();
        var read = ctx.GetSecretAsync(key);
        Assert.That(read.IsFaulted, Is.True, "the refusal comes back in the task, as from an async method, not thrown at the call");
        var ex = Assert.ThrowsAsync<ArgumentException>(() => read);
        Assert.That(ex!.Message, Does.Contain("letters, digits"));
        Assert.ThrowsAsync<ArgumentException>(() => ctx.SetSecretAsync(key, "v"));
    }

    [Test]
    public async Task Tasks_are_tracked_under_the_module_and_cancelled_with_it()
    {
        var ctx = Context();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var task = ctx.CreateTask("loop", async ct =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        });
        await started.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(ctx.Stopping.IsCancellationRequested, Is.False);
        Assert.That(await _tasks.CancelOwnerAsync("test.ctx", TimeSpan.FromSeconds(5)), Is.Empty);
        Assert.That(task.IsCompleted, Is.True);
        Assert.That(ctx.Stopping.IsCancellationRequested, Is.True);
    }

    [Test]
    public void Refuses_a_built_in_auth_provider_id_and_reports_it()
    {
        var ctx = Context();
        Assert.Throws<ModulePermissionDeniedException>(() => ctx.RegisterAuthProvider(new FakeProvider("local")));
        AssertDenied("auth_provider", "local");
        ctx.RegisterAuthProvider(new FakeProvider("corp-sso"));
        Assert.That(_providers.All.Keys, Is.EqualTo(new[] { "corp-sso" }));
        Assert.That(_providers.RemoveOwner("test.ctx"), Is.EqualTo(1));
    }

    [Test]
    public void A_closed_context_refuses_everything()
    {
        var ctx = Context(subscribe: ["*"], emit: ["*"]);
        ctx.Close();
        Assert.Throws<ObjectDisposedException>(() => ctx.Subscribe("a:b", (_, _) => Task.CompletedTask));
        Assert.Throws<ObjectDisposedException>(() => ctx.Emit("a:b"));
        Assert.Throws<ObjectDisposedException>(() => ctx.CreateTask("t", _ => Task.CompletedTask));
        Assert.Throws<ObjectDisposedException>(() => ctx.RegisterAuthProvider(new FakeProvider("x")));
        var read = ctx.GetSecretAsync("k");
        Assert.That(read.IsFaulted, Is.True, "in the task, not thrown at the call");
        Assert.ThrowsAsync<ObjectDisposedException>(() => read);
        Assert.That(_bus.CountFor("test.ctx"), Is.Zero);
    }

    [Test]
    public void Settings_come_from_schema_defaults_overridden_by_the_environment()
    {
        var manifest = new ModuleManifest
        {
            Id = "acme.hello-world",
            Name = "x",
            Version = "1.0.0",
            SettingsSchema =
            [
                new SettingDefinition { Key = "greeting", Default = "hi" },
                new SettingDefinition { Key = "times", Kind = "int", Default = "1" },
                new SettingDefinition { Key = "loud", Kind = "bool", Default = "false" },
                new SettingDefinition { Key = "token", Kind = "secret" },
            ],
        };
        var config = new TestConfigSource()
            .Set("LYNDRIX_PLUGIN_ACME_HELLO_WORLD_GREETING", "hello")
            .Set("LYNDRIX_PLUGIN_ACME_HELLO_WORLD_TIMES", "lots")
            .Set("LYNDRIX_PLUGIN_ACME_HELLO_WORLD_LOUD", "yes")
            .Set("LYNDRIX_PLUGIN_ACME_HELLO_WORLD_TOKEN", "must-not-appear");
        var problems = new List<string>();
        var settings = ModuleSettings.Resolve(manifest, config, problems);
        Assert.That(settings["greeting"], Is.EqualTo("hello"));
        Assert.That(settings["times"], Is.EqualTo("1"), "a bad override keeps the default");
        Assert.That(settings["loud"], Is.EqualTo("true"));
        Assert.That(settings.ContainsKey("token"), Is.False, "secret settings are read with GetSecretAsync, never from the environment");
        Assert.That(problems.Single(), Does.Contain("LYNDRIX_PLUGIN_ACME_HELLO_WORLD_TIMES").And.Contain("whole number"));
    }

    private sealed class FakeProvider(string id) : IAuthProvider
    {
        public string ProviderId => id;

        public string DisplayName => id;

        public bool IsConfigured => true;

        public Task<AuthResult?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken) => Task.FromResult<AuthResult?>(null);
    }
}
