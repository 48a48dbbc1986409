using Lyndrix.Core.Auth;
using Lyndrix.Core.Data;
using Lyndrix.Core.Tests.Auth.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Core.Tests.Auth;

[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class LocalAuthProviderTests
{
    private readonly InMemoryUserStore _users = new();
    private readonly PasswordHasher _hasher = AuthTestConfig.Hasher(AuthTestConfig.CheapHashing);
    private LocalAuthProvider _provider = null!;

    [SetUp]
    public async Task SetUp()
    {
        _provider = new LocalAuthProvider(_users, _hasher, NullLogger<LocalAuthProvider>.Instance);
        await _users.CreateAsync(new UserRecord("u1", "alice", await _hasher.HashAsync("alice-pw", CancellationToken.None), "Alice", "alice@x",
            ["user"], false, null, DateTimeOffset.UnixEpoch), CancellationToken.None);
        await _users.CreateAsync(new UserRecord("ext:ldap:1", "dave", null, null, null, [], false, null, DateTimeOffset.UnixEpoch), CancellationToken.None);
        _hasher.Warm();
    }

    [Test]
    public async Task Accepts_the_right_password_only()
    {
        var ok = await _provider.AuthenticateAsync("alice", "alice-pw", CancellationToken.None);
        Assert.That(ok!.Username, Is.EqualTo("alice"));
        Assert.That(ok.FullName, Is.EqualTo("Alice"));
        Assert.That(await _provider.AuthenticateAsync("alice", "wrong", CancellationToken.None), Is.Null);
        Assert.That(await _provider.AuthenticateAsync("alice", "", CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task Unknown_users_and_users_without_a_password_cost_one_hash_like_known_users()
    {
        async Task<long> Cost(string user, string password)
        {
            var before = PasswordHasher.Computations;
            await _provider.AuthenticateAsync(user, password, CancellationToken.None);
            return PasswordHasher.Computations - before;
        }

        Assert.That(await Cost("alice", "wrong"), Is.EqualTo(1));
        Assert.That(await Cost("nobody", "wrong"), Is.EqualTo(1));
        Assert.That(await Cost("dave", "wrong"), Is.EqualTo(1), "an external account has no local password");
    }

    [Test]
    public async Task A_hash_with_old_parameters_is_upgraded_on_login()
    {
        var legacy = await AuthTestConfig.Hasher(new PasswordHashParameters(2, 1024, 2)).HashAsync("bob-pw", CancellationToken.None);
        await _users.CreateAsync(new UserRecord("u2", "bob", legacy, null, null, [], false, null, DateTimeOffset.UnixEpoch), CancellationToken.None);
        Assert.That(await _provider.AuthenticateAsync("bob", "bob-pw", CancellationToken.None), Is.Not.Null);
        var stored = (await _users.FindAsync("bob", CancellationToken.None))!.PasswordHash;
        Assert.That(stored, Does.StartWith("$argon2id$v=19$m=1024,t=1,p=1$"));
        Assert.That(await _provider.AuthenticateAsync("bob", "bob-pw", CancellationToken.None), Is.Not.Null);
    }
}
