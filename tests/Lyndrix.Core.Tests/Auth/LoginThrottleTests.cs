using Lyndrix.Core.Auth;
using Lyndrix.Core.Tests.Auth.Support;
using Microsoft.Extensions.Time.Testing;

namespace Lyndrix.Core.Tests.Auth;

[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class LoginThrottleTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2030-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private LoginThrottle Throttle() => new(AuthTestConfig.Settings(("LYNDRIX_LOGIN_MAX_FAILURES_PER_USER", "3"),
        ("LYNDRIX_LOGIN_MAX_FAILURES_PER_CLIENT", "5"), ("LYNDRIX_LOGIN_THROTTLE_WINDOW", "60")), _time);

    [Test]
    public void Blocks_a_user_after_the_limit_until_the_oldest_failure_leaves_the_window()
    {
        var t = Throttle();
        for (var i = 0; i < 3; i++)
        {
            Assert.That(t.TryBegin("alice", $"10.0.0.{i}", out _), Is.True);
            _time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.That(t.TryBegin("alice", "10.0.0.9", out var wait), Is.False);
        Assert.That(wait, Is.EqualTo(TimeSpan.FromSeconds(30)));
        Assert.That(t.TryBegin("bob", "10.0.0.9", out _), Is.True, "other users are not affected");

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.That(t.TryBegin("alice", "10.0.0.9", out _), Is.True);
    }

    [Test]
    public void Blocks_a_client_that_sprays_many_user_names()
    {
        var t = Throttle();
        for (var i = 0; i < 5; i++)
        {
            Assert.That(t.TryBegin($"user{i}", "203.0.113.7", out _), Is.True);
        }

        Assert.That(t.TryBegin("user9", "203.0.113.7", out var wait), Is.False);
        Assert.That(wait, Is.EqualTo(TimeSpan.FromSeconds(60)));
        Assert.That(t.TryBegin("user9", "198.51.100.1", out _), Is.True);
    }

    [Test]
    public void Success_clears_the_users_failures_and_takes_back_its_own_attempt()
    {
        var t = Throttle();
        Assert.That(t.TryBegin("alice", "c", out _), Is.True);
        Assert.That(t.TryBegin("alice", "c", out _), Is.True);
        Assert.That(t.TryBegin("alice", "c", out _), Is.True);
        t.Succeeded("alice", "c");
        Assert.That(t.TryBegin("alice", "c", out _), Is.True);
        Assert.That(t.TryBegin("alice", "c", out _), Is.True);
        Assert.That(t.TryBegin("alice", "c", out _), Is.True);
        Assert.That(t.TryBegin("alice", "c", out _), Is.False, "3 fresh failures block again");
    }
}
