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
            Assert.That(t.IsAllowed("alice", $"10.0.0.{i}", out _), Is.True);
            t.Failed("alice", $"10.0.0.{i}");
            _time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.That(t.IsAllowed("alice", "10.0.0.9", out var wait), Is.False);
        Assert.That(wait, Is.EqualTo(TimeSpan.FromSeconds(30)));
        Assert.That(t.IsAllowed("bob", "10.0.0.9", out _), Is.True, "other users are not affected");

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.That(t.IsAllowed("alice", "10.0.0.9", out _), Is.True);
    }

    [Test]
    public void Only_failures_count()
    {
        var t = Throttle();
        for (var i = 0; i < 50; i++)
        {
            Assert.That(t.IsAllowed("alice", "c", out _), Is.True);
            t.Succeeded("alice", "c");
        }
    }

    [Test]
    public void Blocks_a_client_that_sprays_many_user_names_except_for_accounts_that_signed_in_from_it()
    {
        var t = Throttle();
        t.Succeeded("owner", "203.0.113.7");
        for (var i = 0; i < 5; i++)
        {
            Assert.That(t.IsAllowed($"user{i}", "203.0.113.7", out _), Is.True);
            t.Failed($"user{i}", "203.0.113.7");
        }

        Assert.That(t.IsAllowed("user9", "203.0.113.7", out var wait), Is.False);
        Assert.That(wait, Is.EqualTo(TimeSpan.FromSeconds(60)));
        Assert.That(t.IsAllowed("user9", "198.51.100.1", out _), Is.True, "another client");
        Assert.That(t.IsAllowed("owner", "203.0.113.7", out _), Is.True, "the owner signed in from this client before");

        _time.Advance(LoginThrottle.KnownSignInLifetime);
        for (var i = 0; i < 5; i++)
        {
            t.Failed($"user{i}", "203.0.113.7");
        }

        Assert.That(t.IsAllowed("owner", "203.0.113.7", out _), Is.False, "known sign-ins are forgotten after their lifetime");
    }

    [Test]
    public void Success_clears_the_users_failures()
    {
        var t = Throttle();
        t.Failed("alice", "c");
        t.Failed("alice", "c");
        t.Succeeded("alice", "c");
        t.Failed("alice", "c");
        t.Failed("alice", "c");
        Assert.That(t.IsAllowed("alice", "c", out _), Is.True);
        t.Failed("alice", "c");
        Assert.That(t.IsAllowed("alice", "c", out _), Is.False, "3 fresh failures block again");
    }

    [Test]
    public async Task Attempts_of_one_account_take_turns_and_too_many_waiting_are_refused()
    {
        var t = Throttle();
        var first = await t.WaitTurnAsync("alice", CancellationToken.None);
        var waiting = Enumerable.Range(0, LoginThrottle.MaxWaitingPerAccount).Select(_ => t.WaitTurnAsync("alice", CancellationToken.None)).ToList();
        Assert.That(waiting.Any(w => w.IsCompleted), Is.False, "the others wait for the first");
        Assert.That(await t.WaitTurnAsync("alice", CancellationToken.None), Is.Null, "one more than the queue holds");
        Assert.That(await t.WaitTurnAsync("bob", CancellationToken.None), Is.Not.Null, "other accounts do not wait");

        first!.Dispose();
        first.Dispose();
        var next = await Task.WhenAny(waiting);
        await Task.Delay(50);
        Assert.That(waiting.Count(w => w.IsCompleted), Is.EqualTo(1), "a double dispose releases one turn only");
        waiting.Remove(next);
        (await next)!.Dispose();
        while (waiting.Count > 0)
        {
            var done = await Task.WhenAny(waiting);
            waiting.Remove(done);
            (await done)!.Dispose();
        }
    }
}
