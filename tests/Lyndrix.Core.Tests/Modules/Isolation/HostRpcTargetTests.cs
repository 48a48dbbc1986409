using Lyndrix.Core.Auth;
using Lyndrix.Core.Events;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Modules.Isolation;
using Lyndrix.Core.Tests.Modules.Fakes;
using Lyndrix.Sdk;
using Microsoft.Extensions.Logging.Abstractions;
using StreamJsonRpc;

namespace Lyndrix.Core.Tests.Modules.Isolation;

/// <summary>The host's end of a channel that has no plugin yet (a spare process waits so): a child that calls anything
/// before the host bound a plugin gets nothing, and a channel serves one plugin only.</summary>
[TestFixture]
public sealed class HostRpcTargetTests
{
    private static readonly byte[] Secret = "0123456789abcdef"u8.ToArray();

    private static HostRpcTarget Target() => new(() => throw new InvalidOperationException("no child in this test"), NullLogger.Instance, Secret);

    [Test]
    public async Task A_spare_that_asks_for_secrets_or_events_before_it_has_a_plugin_gets_nothing()
    {
        var target = Target();
        await target.HelloAsync("0123456789abcdef");
        Assert.That(target.Greeted.IsCompletedSuccessfully, Is.True);

        var read = Assert.ThrowsAsync<LocalRpcException>(() => target.GetSecretAsync("api_key", CancellationToken.None));
        Assert.That(read!.Message, Does.Contain("No plugin is set up on this channel yet"));
        Assert.ThrowsAsync<LocalRpcException>(() => target.SetSecretAsync("api_key", "x", CancellationToken.None));
        Assert.ThrowsAsync<LocalRpcException>(() => target.UpdateSecretAsync("api_key", 1, CancellationToken.None));
        Assert.ThrowsAsync<LocalRpcException>(() => target.SubscribeAsync("demo:ping"));
        Assert.ThrowsAsync<LocalRpcException>(() => target.EmitAsync("demo:ping", default));
        Assert.ThrowsAsync<LocalRpcException>(() => target.RegisterAuthProviderAsync("local", "Local", true));
    }

    [Test]
    public async Task A_wrong_secret_is_refused_and_leaves_the_channel_unopened()
    {
        var target = Target();
        Assert.ThrowsAsync<LocalRpcException>(() => target.HelloAsync("0123456789abcdeX"));
        Assert.That(target.Greeted.IsCompleted, Is.False);
        var read = Assert.ThrowsAsync<LocalRpcException>(() => target.GetSecretAsync("api_key", CancellationToken.None));
        Assert.That(read!.Message, Does.Contain("Say hello first"));
        await Task.CompletedTask;
    }

    [Test]
    public async Task A_channel_is_bound_to_one_plugin_once()
    {
        await using var bus = new EventBus(NullLogger<EventBus>.Instance, TimeProvider.System);
        await using var tasks = new TaskTracker(NullLogger<TaskTracker>.Instance);
        var secrets = new InMemoryModuleSecretScopeFactory();
        var contexts = new ModuleContextFactory(bus, tasks, secrets, new AuthProviderRegistry(), NullLoggerFactory.Instance);
        IModuleContext For(string id) => contexts.Create(new ModuleManifest { Id = id, Name = id, Version = "1.0.0" }, new Dictionary<string, string?>());
        var first = For("test.first");
        await first.SetSecretAsync("k", "first's", CancellationToken.None);
        await For("test.second").SetSecretAsync("k", "second's", CancellationToken.None);

        var target = Target();
        await target.HelloAsync("0123456789abcdef");
        target.Bind(first, (_, _, _) => Task.FromResult<string?>(null), NullLogger.Instance);
        Assert.That(() => target.Bind(For("test.second"), (_, _, _) => Task.FromResult<string?>(null), NullLogger.Instance),
            Throws.InvalidOperationException.With.Message.Contains("serves one plugin only"));
        Assert.That(await target.GetSecretAsync("k", CancellationToken.None), Is.EqualTo("first's"), "still the first plugin's scope");
    }
}
