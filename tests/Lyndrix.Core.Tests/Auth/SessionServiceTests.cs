using Lyndrix.Core.Auth;
using Lyndrix.Core.Data;
using Lyndrix.Core.Tests.Auth.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Lyndrix.Core.Tests.Auth;

[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class SessionServiceTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2030-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly InMemoryUserStore _users = new();
    private readonly InMemorySessionStore _sessions = new();
    private SessionService _service = null!;
    private UserRecord _alice = null!;

    [SetUp]
    public async Task SetUp()
    {
        _service = new SessionService(_sessions, _users, AuthTestConfig.Settings(("LYNDRIX_SESSION_TTL", "3600")), _time, new SessionValidationCache(_time),
            NullLogger<SessionService>.Instance);
        _alice = new UserRecord("u1", "alice", null, null, null, [], false, null, _time.GetUtcNow());
        await _users.CreateAsync(_alice, CancellationToken.None);
    }

    [Test]
    public async Task Tokens_are_random_stored_only_as_a_hash_and_valid_until_they_expire()
    {
        var (token, session) = await _service.IssueAsync(_alice, "test", CancellationToken.None);
        var (other, _) = await _service.IssueAsync(_alice, "test", CancellationToken.None);

        Assert.That(token, Does.StartWith("lys_").And.Not.EqualTo(other));
        Assert.That(_sessions.All.Select(s => s.TokenHash), Does.Not.Contain(token));
        Assert.That(session.TokenHash, Is.EqualTo(SessionTokens.Hash(token)));
        Assert.That(session.ExpiresAt - session.CreatedAt, Is.EqualTo(TimeSpan.FromHours(1)));

        _time.Advance(TimeSpan.FromMinutes(59));
        Assert.That(await _service.ValidateAsync(token, CancellationToken.None), Is.Not.Null);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.That(await _service.ValidateAsync(token, CancellationToken.None), Is.Null, "expired at the TTL");
    }

    [Test]
    public async Task Revoked_tokens_are_refused_and_users_revoke_only_their_own()
    {
        var (token, session) = await _service.IssueAsync(_alice, "test", CancellationToken.None);
        Assert.That(await _service.RevokeOwnAsync("mallory", session.Id, CancellationToken.None), Is.False);
        Assert.That(await _service.ValidateAsync(token, CancellationToken.None), Is.Not.Null);

        Assert.That(await _service.RevokeOwnAsync("alice", session.Id, CancellationToken.None), Is.True);
        Assert.That(await _service.ValidateAsync(token, CancellationToken.None), Is.Null);
        Assert.That(await _service.ListActiveAsync("alice", CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task A_session_revoked_behind_this_host_s_back_stops_working_within_one_second()
    {
        // Another host (or an operator in the database) revokes the session: this host's cache cannot hear of it.
        var (token, session) = await _service.IssueAsync(_alice, "test", CancellationToken.None);
        Assert.That(await _service.ValidateAsync(token, CancellationToken.None), Is.Not.Null, "validated, so now cached");
        await _sessions.RevokeAsync(session.Id, _time.GetUtcNow(), CancellationToken.None);

        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.That(await _service.ValidateAsync(token, CancellationToken.None), Is.Not.Null, "served from the cache inside its second");
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(await _service.ValidateAsync(token, CancellationToken.None), Is.Null, "refused once the second is over");
    }

    [Test]
    public async Task A_token_used_without_pause_is_still_rechecked_every_second()
    {
        // Constant use must not keep a cache entry alive: its age counts from the validation, not from the last hit.
        var (token, session) = await _service.IssueAsync(_alice, "test", CancellationToken.None);
        await _service.ValidateAsync(token, CancellationToken.None);
        for (var i = 0; i < 9; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            await _service.ValidateAsync(token, CancellationToken.None);
        }

        await _sessions.RevokeAsync(session.Id, _time.GetUtcNow(), CancellationToken.None);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.That(await _service.ValidateAsync(token, CancellationToken.None), Is.Null);
    }

    [TestCase("")]
    [TestCase("Bearer")]
    [TestCase("lys_short")]
    [TestCase("lyk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task Malformed_tokens_are_refused(string token)
    {
        Assert.That(await _service.ValidateAsync(token, CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task Last_use_is_recorded_at_most_once_a_minute()
    {
        var (token, session) = await _service.IssueAsync(_alice, "test", CancellationToken.None);
        await _service.ValidateAsync(token, CancellationToken.None);
        var first = _sessions.All.Single().LastUsedAt;
        _time.Advance(TimeSpan.FromSeconds(30));
        await _service.ValidateAsync(token, CancellationToken.None);
        Assert.That(_sessions.All.Single().LastUsedAt, Is.EqualTo(first));
        _time.Advance(TimeSpan.FromSeconds(31));
        await _service.ValidateAsync(token, CancellationToken.None);
        Assert.That(_sessions.All.Single(s => s.Id == session.Id).LastUsedAt, Is.EqualTo(_time.GetUtcNow()));
    }
}
