using Lyndrix.Core.Auth;
using Lyndrix.Core.Data;
using Lyndrix.Core.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Lyndrix.IntegrationTests.Data;

/// <summary>SSO hand-off codes in the database (SQLite here; across Galera nodes in <see cref="GaleraClusterTests"/>): one use,
/// one minute, and a host other than the issuer can redeem them.</summary>
public sealed class SsoHandoffCodesTests
{
    private TempDirectory _dir = null!;
    private readonly List<SqliteConnectionSource> _sources = [];
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddYears(56));

    [SetUp]
    public async Task SetUp()
    {
        _dir = new TempDirectory("lyndrix-sso-codes");
        var source = Host();
        await new SchemaMigrator(source, new DatabaseCredentialRedactor(), _time, new CapturingLoggerProvider().CreateLogger<SchemaMigrator>())
            .MigrateAsync("core", CoreSchema.Migrations, CancellationToken.None);
    }

    [TearDown]
    public async Task TearDown()
    {
        foreach (var source in _sources)
        {
            await source.DisposeAsync();
        }

        _sources.Clear();
        _dir.Dispose();
    }

    private SqliteConnectionSource Host()
    {
        var source = new SqliteConnectionSource(new DatabaseSettings { SqlitePath = Path.Combine(_dir.Path, "lyndrix.db") });
        source.Configure(null);
        _sources.Add(source);
        return source;
    }

    [Test]
    public async Task A_code_issued_by_one_host_is_redeemed_once_by_another()
    {
        var a = new SsoHandoffCodes(Host(), _time);
        var b = new SsoHandoffCodes(Host(), _time);
        var code = await a.IssueAsync("alice", "oidc", CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(await b.RedeemAsync(code, CancellationToken.None), Is.EqualTo(("alice", "oidc")));
            Assert.That(await a.RedeemAsync(code, CancellationToken.None), Is.Null, "used up");
            Assert.That(await b.RedeemAsync(code + "x", CancellationToken.None), Is.Null);
        });
    }

    [Test]
    public async Task Of_eight_hosts_redeeming_one_code_at_once_exactly_one_gets_it()
    {
        var issuer = new SsoHandoffCodes(Host(), _time);
        var hosts = Enumerable.Range(0, 8).Select(_ => new SsoHandoffCodes(Host(), _time)).ToArray();
        for (var i = 0; i < 10; i++)
        {
            var code = await issuer.IssueAsync($"user{i}", "oidc", CancellationToken.None);
            var redeemed = await Task.WhenAll(hosts.Select(h => Task.Run(() => h.RedeemAsync(code, CancellationToken.None))));
            Assert.That(redeemed.Where(r => r is not null), Is.EqualTo(new[] { ($"user{i}", "oidc") }), $"code {i}");
        }
    }

    [Test]
    public async Task A_code_older_than_a_minute_is_refused_and_swept()
    {
        var codes = new SsoHandoffCodes(Host(), _time);
        var old = await codes.IssueAsync("alice", "oidc", CancellationToken.None);
        _time.Advance(SsoHandoffCodes.Lifetime + TimeSpan.FromMilliseconds(1));
        Assert.That(await codes.RedeemAsync(old, CancellationToken.None), Is.Null);
        var fresh = await codes.IssueAsync("bob", "oidc", CancellationToken.None);
        Assert.That(await codes.RedeemAsync(fresh, CancellationToken.None), Is.EqualTo(("bob", "oidc")));
    }

    [Test]
    public async Task The_database_holds_only_the_codes_hash()
    {
        var source = Host();
        var code = await new SsoHandoffCodes(source, _time).IssueAsync("alice", "oidc", CancellationToken.None);
        await using var connection = await source.OpenAsync(CancellationToken.None);
        var stored = await Dapper.SqlMapper.ExecuteScalarAsync<string>(connection, "SELECT `code_hash` FROM `sso_handoff_codes`");
        Assert.That(stored, Is.Not.EqualTo(code).And.Not.Contains(code));
    }
}
