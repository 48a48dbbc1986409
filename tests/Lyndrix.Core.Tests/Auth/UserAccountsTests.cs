using Lyndrix.Core.Auth;
using Lyndrix.Core.Data;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Sdk.Auth;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Core.Tests.Auth;

[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class UserAccountsTests
{
    private readonly InMemoryUserStore _users = new();
    private UserAccounts Accounts => new(_users, TimeProvider.System, NullLogger<UserAccounts>.Instance);

    [Test]
    public async Task An_external_identity_gets_its_own_account_that_follows_the_provider()
    {
        var first = await Accounts.ResolveAsync(new AuthResult("alice", "ldap") { Roles = ["user", "admin"], Email = "a@x" }, CancellationToken.None);
        Assert.That(first!.IsAdmin, Is.True);
        Assert.That(first.PasswordHash, Is.Null);
        Assert.That(UserAccounts.ProviderOf(first), Is.EqualTo("ldap"));

        var second = await Accounts.ResolveAsync(new AuthResult("alice", "ldap") { Roles = ["user"] }, CancellationToken.None);
        Assert.That(second!.Id, Is.EqualTo(first.Id));
        Assert.That(second.IsAdmin, Is.False, "losing the directory group loses admin");
        Assert.That((await _users.FindAsync("alice", CancellationToken.None))!.IsAdmin, Is.False);
    }

    [Test]
    public async Task An_external_identity_never_takes_over_a_local_or_other_providers_account()
    {
        await _users.CreateAsync(new UserRecord("l1", "admin", "$argon2id$...", null, null, ["admin"], true, null, DateTimeOffset.UnixEpoch), CancellationToken.None);
        Assert.That(await Accounts.ResolveAsync(new AuthResult("admin", "ldap") { Roles = ["admin"] }, CancellationToken.None), Is.Null);

        await Accounts.ResolveAsync(new AuthResult("bob", "oidc"), CancellationToken.None);
        Assert.That(await Accounts.ResolveAsync(new AuthResult("bob", "ldap"), CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task A_local_identity_needs_an_existing_local_account()
    {
        Assert.That(await Accounts.ResolveAsync(new AuthResult("ghost", "local"), CancellationToken.None), Is.Null);
        await Accounts.ResolveAsync(new AuthResult("carol", "ldap"), CancellationToken.None);
        Assert.That(await Accounts.ResolveAsync(new AuthResult("carol", "local"), CancellationToken.None), Is.Null);
    }
}
