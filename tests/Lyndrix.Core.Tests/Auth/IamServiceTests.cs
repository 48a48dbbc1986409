using Lyndrix.Core.Auth;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace Lyndrix.Core.Tests.Auth;

[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class IamServiceTests
{
    private static Action<IServiceCollection> SecretStore(string? authProviders, Mock<IModuleSecretScope>? scope = null)
    {
        scope ??= new Mock<IModuleSecretScope>();
        scope.Setup(s => s.GetAsync("auth_providers", It.IsAny<CancellationToken>())).ReturnsAsync(authProviders);
        var factory = new Mock<IModuleSecretScopeFactory>();
        factory.Setup(f => f.For(It.Is<ModuleManifest>(m => m.Id == "auth" && m.Type == ModuleType.Core))).Returns(scope.Object);
        return s => s.AddSingleton(factory.Object);
    }

    [Test]
    public async Task A_repeated_db_connected_does_not_bootstrap_again_or_re_announce_iam()
    {
        await using var host = await AuthHost.StartAsync([]);
        var announcements = 0;
        using var _ = host.Bus.Subscribe(CoreTopics.IamReady, "test", (LyndrixEvent _) => Interlocked.Increment(ref announcements));
        var users = (await host.Users.ListAsync(CancellationToken.None)).ToArray();
        var updates = host.Users.Updates;

        host.Bus.Emit(CoreTopics.DbConnected, EventPayload.Create(("status", "reconnected")));
        await Eventually.True(() => host.Logs.AllText.Contains("db:connected again"), "IAM noticed the second db:connected");

        Assert.That(announcements, Is.EqualTo(1), "only the sticky replay of the first iam:ready");
        Assert.That(host.Users.Updates, Is.EqualTo(updates));
        Assert.That(await host.Users.ListAsync(CancellationToken.None), Is.EqualTo(users));
    }

    [Test]
    public async Task The_provider_list_comes_from_the_secret_store_when_the_environment_does_not_set_it()
    {
        await using var host = await AuthHost.StartAsync([], services: SecretStore("ldap, local"));
        var config = host.App.Services.GetRequiredService<AuthChainConfiguration>().Current;
        Assert.That(config.Providers, Is.EqualTo(new[] { "ldap", "local" }));
        Assert.That(config.Source, Is.EqualTo("secret store core/auth"));
    }

    [Test]
    public async Task The_environment_wins_over_the_secret_store()
    {
        var scope = new Mock<IModuleSecretScope>();
        await using var host = await AuthHost.StartAsync([("LYNDRIX_AUTH_PROVIDERS", "local")], services: SecretStore("ldap", scope));
        Assert.That(host.App.Services.GetRequiredService<AuthChainConfiguration>().Current.Providers, Is.EqualTo(new[] { "local" }));
        scope.Verify(s => s.GetAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Test]
    public async Task An_invalid_stored_list_is_reported_and_the_default_kept()
    {
        await using var host = await AuthHost.StartAsync([], services: SecretStore("LD AP"));
        Assert.That(host.App.Services.GetRequiredService<AuthChainConfiguration>().Current.Providers, Is.EqualTo(new[] { "local" }));
        Assert.That(host.Logs.AllText, Does.Contain("core/auth field auth_providers is invalid"));
    }

    [Test]
    public async Task Unknown_ids_are_reported_once_plugins_had_their_chance()
    {
        await using var host = await AuthHost.StartAsync([("LYNDRIX_AUTH_PROVIDERS", "local,ghost")]);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await host.Bus.WaitForAsync(CoreTopics.SystemBootComplete, cts.Token);
        await Eventually.True(() => host.Logs.AllText.Contains("lists 'ghost'"), "the unknown id is reported");
        Assert.That(host.Logs.AllText, Does.Not.Contain("lists 'local'"));
    }

    [Test]
    public async Task The_host_refuses_to_build_outside_dev_with_default_secrets()
    {
        var ex = Assert.ThrowsAsync<Lyndrix.Core.Configuration.ConfigurationException>(async () =>
            await AuthHost.StartAsync([("ENV_TYPE", "production"), ("DB_PASSWORD", "secret")]));
        Assert.That(ex!.Message, Does.Contain("LYNDRIX_ADMIN_PASSWORD, LYNDRIX_BOT_PASSWORD, DB_PASSWORD"));
    }
}
