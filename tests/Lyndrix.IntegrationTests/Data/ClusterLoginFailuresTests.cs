using Dapper;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Data;
using Lyndrix.Core.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Lyndrix.IntegrationTests.Data;

/// <summary>Failed sign-ins in the database (SQLite here; across Galera nodes in <see cref="GaleraClusterTests"/>): the
/// per-account limit counts every host's failures, for one window, and keeps no username.</summary>
public sealed class ClusterLoginFailuresTests
{
    private TempDirectory _dir = null!;
    private SqliteConnectionSource _source = null!;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddYears(56));
    private readonly AuthSettings _settings = AuthSettings.Load(new EnvironmentConfigSource(new Dictionary<string, string>
    {
        ["LYNDRIX_LOGIN_MAX_FAILURES_PER_USER"] = "3", ["LYNDRIX_LOGIN_THROTTLE_WINDOW"] = "300",
    }), Path.GetTempPath());

    [SetUp]
    public async Task SetUp()
    {
        _dir = new TempDirectory("lyndrix-login-failures");
        _source = new SqliteConnectionSource(new DatabaseSettings { SqlitePath = Path.Combine(_dir.Path, "lyndrix.db") });
        _source.Configure(null);
        await new SchemaMigrator(_source, new DatabaseCredentialRedactor(), _time, new CapturingLoggerProvider().CreateLogger<SchemaMigrator>())
            .MigrateAsync("core", CoreSchema.Migrations, CancellationToken.None);
    }

    [TearDown]
    public async Task TearDown()
    {
        await _source.DisposeAsync();
        _dir.Dispose();
    }

    [Test]
    public async Task The_limit_holds_until_the_oldest_counted_failure_leaves_the_window()
    {
        var failures = new ClusterLoginFailures(_source, _settings, _time);
        for (var i = 0; i < 3; i++)
        {
            Assert.That(await failures.RetryAfterAsync("alice", CancellationToken.None), Is.Null, $"before failure {i + 1}");
            await failures.FailedAsync("alice");
            _time.Advance(TimeSpan.FromSeconds(10));
        }

        // Failures at 0, 10 and 20 s; now is 30 s: the first leaves the window at 300 s.
        Assert.That(await failures.RetryAfterAsync("alice", CancellationToken.None), Is.EqualTo(TimeSpan.FromSeconds(270)));
        _time.Advance(TimeSpan.FromSeconds(270));
        Assert.That(await failures.RetryAfterAsync("alice", CancellationToken.None), Is.Null, "the oldest failure left the window");
        await failures.FailedAsync("alice");
        Assert.That(await failures.RetryAfterAsync("alice", CancellationToken.None), Is.EqualTo(TimeSpan.FromSeconds(10)),
            "failures at 10, 20 and 300 s: the one at 10 s leaves first");
    }

    [Test]
    public async Task The_database_keeps_no_username_and_sweeps_old_failures()
    {
        var failures = new ClusterLoginFailures(_source, _settings, _time);
        await failures.FailedAsync("Mallory-Typed-Her-Password");
        _time.Advance(TimeSpan.FromMinutes(6));
        await failures.FailedAsync("bob");
        await using var connection = await _source.OpenAsync(CancellationToken.None);
        var accounts = (await connection.QueryAsync<string>("SELECT `account` FROM `login_failures`")).ToArray();
        Assert.That(accounts, Has.Length.EqualTo(1), "the failure outside the window was swept");
        Assert.That(accounts.Single(), Does.Not.Contain("bob").And.Not.Contain("Mallory").And.Length.EqualTo(64));
    }
}
