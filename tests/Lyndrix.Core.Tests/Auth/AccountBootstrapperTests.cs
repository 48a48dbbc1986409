using Lyndrix.Core.Auth;
using Lyndrix.Core.Data;
using Lyndrix.Core.Tests.Auth.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Core.Tests.Auth;

[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class AccountBootstrapperTests
{
    private readonly InMemoryUserStore _users = new();
    private readonly PasswordHasher _hasher = AuthTestConfig.Hasher(AuthTestConfig.CheapHashing);

    private AccountBootstrapper Bootstrapper(params (string, string)[] env) =>
        new(_users, _hasher, AuthTestConfig.Settings(env), TimeProvider.System, NullLogger<AccountBootstrapper>.Instance);

    private async Task<bool> PasswordIs(string user, string password) =>
        await _hasher.VerifyAsync((await _users.FindAsync(user, CancellationToken.None))!.PasswordHash, password, CancellationToken.None);

    [Test]
    public async Task Creates_admin_and_bot_from_the_environment()
    {
        await Bootstrapper(("LYNDRIX_ADMIN_USER", "root"), ("LYNDRIX_ADMIN_PASSWORD", "admin-pw-1"), ("LYNDRIX_ADMIN_EMAIL", "root@example.org"))
            .RunAsync(CancellationToken.None);

        var admin = await _users.FindAsync("root", CancellationToken.None);
        var bot = await _users.FindAsync("bot", CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(admin!.IsAdmin, Is.True);
            Assert.That(admin.Email, Is.EqualTo("root@example.org"));
            Assert.That(admin.BootstrapMarker, Is.Not.Null);
            Assert.That(bot!.IsAdmin, Is.False);
            Assert.That(bot.Roles, Is.EqualTo(new[] { "bot" }));
            Assert.That(bot.Email, Is.EqualTo("bot@lyndrix.local"));
        });
        Assert.That(await PasswordIs("root", "admin-pw-1"), Is.True);
        Assert.That(await PasswordIs("bot", "lyndrix-bot"), Is.True);
    }

    [Test]
    public async Task A_password_changed_through_the_API_survives_a_re_bootstrap()
    {
        await Bootstrapper(("LYNDRIX_ADMIN_PASSWORD", "env-pw-1")).RunAsync(CancellationToken.None);
        var admin = (await _users.FindAsync("admin", CancellationToken.None))!;
        await _users.UpdateAsync(admin with { PasswordHash = await _hasher.HashAsync("changed-in-ui", CancellationToken.None) }, CancellationToken.None);

        // A restart or a database reconnect with the same environment.
        await Bootstrapper(("LYNDRIX_ADMIN_PASSWORD", "env-pw-1")).RunAsync(CancellationToken.None);

        Assert.That(await PasswordIs("admin", "changed-in-ui"), Is.True);
        Assert.That(await PasswordIs("admin", "env-pw-1"), Is.False);
    }

    [Test]
    public async Task A_new_environment_password_is_applied_once()
    {
        await Bootstrapper(("LYNDRIX_ADMIN_PASSWORD", "env-pw-1")).RunAsync(CancellationToken.None);
        var admin = (await _users.FindAsync("admin", CancellationToken.None))!;
        await _users.UpdateAsync(admin with { PasswordHash = await _hasher.HashAsync("changed-in-ui", CancellationToken.None) }, CancellationToken.None);

        await Bootstrapper(("LYNDRIX_ADMIN_PASSWORD", "env-pw-2")).RunAsync(CancellationToken.None);
        Assert.That(await PasswordIs("admin", "env-pw-2"), Is.True, "the operator rotated the environment value");

        admin = (await _users.FindAsync("admin", CancellationToken.None))!;
        await _users.UpdateAsync(admin with { PasswordHash = await _hasher.HashAsync("changed-again", CancellationToken.None) }, CancellationToken.None);
        await Bootstrapper(("LYNDRIX_ADMIN_PASSWORD", "env-pw-2")).RunAsync(CancellationToken.None);
        Assert.That(await PasswordIs("admin", "changed-again"), Is.True);
    }

    [Test]
    public async Task An_account_migrated_without_a_marker_adopts_the_environment_value_it_matches()
    {
        var hash = await _hasher.HashAsync("lyndrix", CancellationToken.None);
        await _users.CreateAsync(new UserRecord("legacy", "admin", hash, null, null, ["admin"], true, null, DateTimeOffset.UnixEpoch), CancellationToken.None);

        await Bootstrapper().RunAsync(CancellationToken.None);

        var admin = (await _users.FindAsync("admin", CancellationToken.None))!;
        Assert.That(admin.PasswordHash, Is.EqualTo(hash), "no needless re-hash");
        Assert.That(admin.BootstrapMarker, Is.EqualTo(hash));
    }

    [Test]
    public async Task An_external_account_with_the_bootstrap_name_is_left_alone()
    {
        await _users.CreateAsync(new UserRecord("ext:ldap:1", "admin", null, null, null, [], false, null, DateTimeOffset.UnixEpoch), CancellationToken.None);
        await Bootstrapper().RunAsync(CancellationToken.None);
        var admin = (await _users.FindAsync("admin", CancellationToken.None))!;
        Assert.That(admin.PasswordHash, Is.Null);
        Assert.That(admin.IsAdmin, Is.False);
    }
}
