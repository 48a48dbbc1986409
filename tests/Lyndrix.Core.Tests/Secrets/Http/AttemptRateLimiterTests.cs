using Lyndrix.Core.Secrets.Http;
using Microsoft.Extensions.Time.Testing;

namespace Lyndrix.Core.Tests.Secrets.Http;

public class AttemptRateLimiterTests
{
    [Test]
    public void Five_attempts_per_window_per_client_then_a_retry_after_until_the_oldest_expires()
    {
        var time = new FakeTimeProvider();
        var limiter = new AttemptRateLimiter(5, TimeSpan.FromSeconds(60), time);
        for (var i = 0; i < 5; i++)
        {
            Assert.That(limiter.TryAcquire("10.0.0.1", out _), $"attempt {i + 1}");
            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Multiple(() =>
        {
            Assert.That(limiter.TryAcquire("10.0.0.1", out var retry), Is.False);
            Assert.That(retry, Is.EqualTo(TimeSpan.FromSeconds(55)));
            Assert.That(limiter.TryAcquire("10.0.0.2", out _), "another client has its own budget");
        });

        time.Advance(TimeSpan.FromSeconds(55));
        Assert.That(limiter.TryAcquire("10.0.0.1", out _), "the oldest attempt left the window");
        Assert.That(limiter.TryAcquire("10.0.0.1", out _), Is.False, "sliding: only one slot freed");
    }

    [Test]
    public void Refused_attempts_do_not_extend_the_wait()
    {
        var time = new FakeTimeProvider();
        var limiter = new AttemptRateLimiter(1, TimeSpan.FromSeconds(10), time);
        Assert.That(limiter.TryAcquire("c", out _));
        for (var i = 0; i < 20; i++)
        {
            Assert.That(limiter.TryAcquire("c", out _), Is.False);
        }

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.That(limiter.TryAcquire("c", out _));
    }

    [Test]
    public void Old_clients_are_pruned()
    {
        var time = new FakeTimeProvider();
        var limiter = new AttemptRateLimiter(5, TimeSpan.FromSeconds(60), time);
        for (var i = 0; i < 1000; i++)
        {
            limiter.TryAcquire($"client-{i}", out _);
        }

        Assert.That(limiter.TrackedClients, Is.EqualTo(1000));
        time.Advance(TimeSpan.FromSeconds(61));
        limiter.TryAcquire("newcomer", out _);
        Assert.That(limiter.TrackedClients, Is.EqualTo(1));
    }
}
