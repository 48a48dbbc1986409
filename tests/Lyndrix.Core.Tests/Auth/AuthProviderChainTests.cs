using Lyndrix.Core.Auth;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk;

namespace Lyndrix.Core.Tests.Auth;

[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class AuthProviderChainTests
{
    private readonly AuthProviderRegistry _registry = new();
    private readonly CapturingLoggerProvider _logs = new();
    private readonly List<string> _calls = [];

    private AuthProviderChain Chain(params (string, string)[] env)
    {
        var settings = AuthTestConfig.Settings([.. env, ("LYNDRIX_AUTH_PROVIDER_TIMEOUT", "0.3")]);
        return new AuthProviderChain(_registry, new AuthChainConfiguration(settings), settings, _logs.CreateLogger<AuthProviderChain>());
    }

    private FakeAuthProvider Add(string id, string owner, string? user = null, string? password = null)
    {
        var p = new FakeAuthProvider(id, _calls) { AcceptUser = user, AcceptPassword = password };
        _registry.Register(owner, p);
        return p;
    }

    [Test]
    public async Task Tries_listed_providers_in_the_configured_order_and_the_first_success_wins()
    {
        Add("local", "core");
        Add("ldap", "lyndrix.core.ldap", "alice", "pw-a");
        Add("corp-sso", "acme.plugin", "alice", "pw-a");

        var result = await Chain(("LYNDRIX_AUTH_PROVIDERS", "corp-sso,local,ldap")).AuthenticateAsync("alice", "pw-a", CancellationToken.None);

        Assert.That(result.Identity!.Provider, Is.EqualTo("corp-sso"));
        Assert.That(_calls, Is.EqualTo(new[] { "corp-sso" }));

        _calls.Clear();
        result = await Chain(("LYNDRIX_AUTH_PROVIDERS", "local,ldap,corp-sso")).AuthenticateAsync("alice", "pw-a", CancellationToken.None);
        Assert.That(result.Identity!.Provider, Is.EqualTo("ldap"));
        Assert.That(_calls, Is.EqualTo(new[] { "local", "ldap" }));
    }

    [Test]
    public async Task A_registered_provider_that_is_not_listed_takes_no_part()
    {
        Add("local", "core");
        Add("backdoor", "evil.plugin", "alice", "anything");
        var result = await Chain().AuthenticateAsync("alice", "anything", CancellationToken.None);
        Assert.That(result.Identity, Is.Null);
        Assert.That(_calls, Is.EqualTo(new[] { "local" }));
        Assert.That(Chain().Describe().Single(s => s.Id == "backdoor").State, Is.EqualTo(AuthProviderStatus.NotListed));
    }

    [Test]
    public void A_plugin_cannot_register_a_built_in_id_or_take_another_plugins_id()
    {
        Add("local", "core");
        Add("corp", "acme.plugin");
        foreach (var id in new[] { "local", "ldap", "oidc" })
        {
            var ex = Assert.Throws<ModulePermissionDeniedException>(() => _registry.Register("evil.plugin", new FakeAuthProvider(id)));
            Assert.That(ex!.Message, Does.Contain("built-in"));
        }

        Assert.Throws<ModulePermissionDeniedException>(() => _registry.Register("evil.plugin", new FakeAuthProvider("corp")));
        Assert.Throws<ModulePermissionDeniedException>(() => _registry.Register("lyndrix.core.ldap", new FakeAuthProvider("oidc")));
        Assert.That(_registry.TryGet("local", out _, out var owner) && owner == "core");
    }

    [Test]
    public async Task A_provider_that_throws_is_logged_without_the_password_and_the_next_one_is_tried()
    {
        const string password = "Sup3r-Secret-Pa55";
        Add("ldap", "lyndrix.core.ldap").Throw = new InvalidOperationException($"bind failed for alice with {password}",
            new TimeoutException($"inner {password}"));
        Add("local", "core", "alice", password);

        var result = await Chain(("LYNDRIX_AUTH_PROVIDERS", "ldap,local")).AuthenticateAsync("alice", password, CancellationToken.None);

        Assert.That(result.Identity!.Provider, Is.EqualTo("local"));
        Assert.That(result.Failed, Is.EqualTo(new[] { "ldap" }));
        Assert.That(_logs.AllText, Does.Contain("Auth provider 'ldap' failed").And.Contain("InvalidOperationException").And.Contain("TimeoutException"));
        Assert.That(_logs.AllText, Does.Not.Contain(password));
    }

    [Test]
    public async Task A_provider_that_hangs_is_abandoned_after_the_provider_timeout()
    {
        Add("slow", "acme.plugin").Hang = true;
        Add("local", "core", "alice", "pw-alice");
        var result = await Chain(("LYNDRIX_AUTH_PROVIDERS", "slow,local")).AuthenticateAsync("alice", "pw-alice", CancellationToken.None);
        Assert.That(result.Identity!.Provider, Is.EqualTo("local"));
        Assert.That(result.Failed, Is.EqualTo(new[] { "slow" }));
        Assert.That(_logs.AllText, Does.Contain("did not answer"));
    }

    [Test]
    public async Task Unconfigured_and_unregistered_providers_are_skipped()
    {
        Add("ldap", "lyndrix.core.ldap", "alice", "pw").IsConfigured = false;
        Add("local", "core");
        var chain = Chain(("LYNDRIX_AUTH_PROVIDERS", "ldap,ghost,local"));
        var result = await chain.AuthenticateAsync("alice", "pw", CancellationToken.None);
        Assert.That(result.Identity, Is.Null);
        Assert.That(result.Tried, Is.EqualTo(new[] { "local" }));
        var states = chain.Describe().ToDictionary(s => s.Id, s => s.State);
        Assert.That(states["ldap"], Is.EqualTo(AuthProviderStatus.NotConfigured));
        Assert.That(states["ghost"], Is.EqualTo(AuthProviderStatus.NotRegistered));
        Assert.That(states["local"], Is.EqualTo(AuthProviderStatus.Active));
    }

    [Test]
    public async Task Local_is_not_tried_when_unlisted_unless_the_fallback_is_enabled()
    {
        Add("local", "core", "admin", "pw-admin");
        Add("ldap", "lyndrix.core.ldap");

        var strict = await Chain(("LYNDRIX_AUTH_PROVIDERS", "ldap")).AuthenticateAsync("admin", "pw-admin", CancellationToken.None);
        Assert.That(strict.Identity, Is.Null);
        Assert.That(strict.Tried, Is.EqualTo(new[] { "ldap" }));

        var withFallback = await Chain(("LYNDRIX_AUTH_PROVIDERS", "ldap"), ("LYNDRIX_AUTH_LOCAL_FALLBACK", "true"))
            .AuthenticateAsync("admin", "pw-admin", CancellationToken.None);
        Assert.That(withFallback.Identity!.Provider, Is.EqualTo("local"));
        Assert.That(withFallback.Tried, Is.EqualTo(new[] { "ldap", "local" }));
    }

    [Test]
    public async Task A_provider_cannot_claim_to_be_another_provider()
    {
        Add("corp", "acme.plugin", "alice", "pw").ReportedProvider = "local";
        var result = await Chain(("LYNDRIX_AUTH_PROVIDERS", "corp")).AuthenticateAsync("alice", "pw", CancellationToken.None);
        Assert.That(result.Identity!.Provider, Is.EqualTo("corp"));
    }

    [Test]
    public async Task Removing_a_plugins_providers_takes_them_out_of_the_chain()
    {
        Add("corp", "acme.plugin", "alice", "pw");
        var chain = Chain(("LYNDRIX_AUTH_PROVIDERS", "corp"));
        Assert.That((await chain.AuthenticateAsync("alice", "pw", CancellationToken.None)).Identity, Is.Not.Null);

        Assert.That(_registry.RemoveOwner("acme.plugin"), Is.EqualTo(1));

        Assert.That((await chain.AuthenticateAsync("alice", "pw", CancellationToken.None)).Identity, Is.Null);
        Assert.That(chain.Describe().Single(s => s.Id == "corp").State, Is.EqualTo(AuthProviderStatus.NotRegistered));
    }
}
