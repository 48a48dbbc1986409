using System.Collections.Concurrent;
using Lyndrix.Core.Events;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Tests.Events;

public sealed class EventBusTests
{
    private CapturingLoggerProvider _logs = null!;
    private EventBus _bus = null!;

    [SetUp]
    public void SetUp()
    {
        _logs = new CapturingLoggerProvider();
        _bus = TestBus.Create(_logs, handlerTimeout: TimeSpan.FromMilliseconds(300));
    }

    [TearDown]
    public async Task TearDown() => await _bus.DisposeAsync();

    [Test]
    public void Inline_handlers_run_in_subscription_order()
    {
        var calls = new List<string>();
        _bus.Subscribe("test:topic", "a", _ => calls.Add("a"));
        _bus.Subscribe("test:topic", "b", _ => calls.Add("b"));
        _bus.Subscribe("test:topic", "c", _ => calls.Add("c"));

        _bus.Emit("test:topic");

        Assert.That(calls, Is.EqualTo(new[] { "a", "b", "c" }));
    }

    [Test]
    public void A_throwing_inline_handler_does_not_stop_the_others_and_is_logged_with_its_owner()
    {
        var reached = false;
        _bus.Subscribe("test:topic", "mod.bad", _ => throw new InvalidOperationException("boom"));
        _bus.Subscribe("test:topic", "mod.good", _ => reached = true);

        Assert.DoesNotThrow(() => _bus.Emit("test:topic"));

        Assert.That(reached, Is.True);
        Assert.That(_logs.Entries.Any(e => e.Level == LogLevel.Error && e.Message.Contains("mod.bad") && e.Message.Contains("boom")), Is.True);
    }

    [Test]
    public async Task A_slow_queued_handler_does_not_delay_another_subscriber()
    {
        var release = new TaskCompletionSource();
        var fastGot = new TaskCompletionSource<LyndrixEvent>();
        _bus.Subscribe("test:topic", "mod.slow", async (_, ct) => await release.Task.WaitAsync(ct));
        _bus.Subscribe("test:topic", "mod.fast", (ev, _) =>
        {
            fastGot.TrySetResult(ev);
            return Task.CompletedTask;
        });

        _bus.Emit("test:topic", EventPayload.Create(("n", 1)));

        var ev = await fastGot.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(ev.Payload.GetInt64("n"), Is.EqualTo(1));
        release.SetResult();
    }

    [Test]
    public async Task A_queued_handler_that_overruns_its_timeout_is_abandoned_and_the_next_event_delivered()
    {
        var seen = new ConcurrentQueue<long>();
        _bus.Subscribe("test:topic", "mod.hang", async (ev, _) =>
        {
            seen.Enqueue(ev.Payload.GetInt64("n")!.Value);
            if (ev.Payload.GetInt64("n") == 1)
            {
                await Task.Delay(Timeout.Infinite, CancellationToken.None);
            }
        });

        _bus.Emit("test:topic", EventPayload.Create(("n", 1)));
        _bus.Emit("test:topic", EventPayload.Create(("n", 2)));

        await Eventually.True(() => seen.Count == 2, "second event delivered after the first handler timed out");
        Assert.That(_logs.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("mod.hang") && e.Message.Contains("abandoned")), Is.True);
    }

    [Test]
    public async Task Queued_delivery_preserves_emit_order_per_subscriber()
    {
        var seen = new ConcurrentQueue<long>();
        _bus.Subscribe("test:topic", "mod.a", async (ev, _) =>
        {
            if (ev.Payload.GetInt64("n") % 7 == 0)
            {
                await Task.Yield();
            }

            seen.Enqueue(ev.Payload.GetInt64("n")!.Value);
        });

        for (var i = 0; i < 500; i++)
        {
            _bus.Emit("test:topic", EventPayload.Create(("n", i)));
        }

        await Eventually.True(() => seen.Count == 500, "all 500 events delivered");
        Assert.That(seen, Is.EqualTo(Enumerable.Range(0, 500).Select(i => (long)i)));
    }

    [Test]
    public async Task A_failing_queued_handler_keeps_receiving_later_events()
    {
        var count = 0;
        _bus.Subscribe("test:topic", "mod.flaky", (_, _) =>
        {
            if (Interlocked.Increment(ref count) == 1)
            {
                throw new InvalidOperationException("first fails");
            }

            return Task.CompletedTask;
        });

        _bus.Emit("test:topic");
        _bus.Emit("test:topic");

        await Eventually.True(() => Volatile.Read(ref count) == 2, "second event delivered after a failure");
        Assert.That(_logs.AllText, Does.Contain("mod.flaky").And.Contain("first fails"));
    }

    [Test]
    public void Sticky_topics_replay_the_latest_event_to_late_subscribers()
    {
        _bus.Emit(CoreTopics.VaultReadyForData, EventPayload.Create(("attempt", 1)));
        _bus.Emit(CoreTopics.VaultReadyForData, EventPayload.Create(("attempt", 2)));

        var received = new List<LyndrixEvent>();
        _bus.Subscribe(CoreTopics.VaultReadyForData, "mod.late", ev => received.Add(ev));

        Assert.That(received, Has.Count.EqualTo(1));
        Assert.Multiple(() =>
        {
            Assert.That(received[0].Payload.GetInt64("attempt"), Is.EqualTo(2));
            Assert.That(received[0].Replayed, Is.True);
        });
    }

    [Test]
    public async Task Sticky_replay_reaches_queued_subscribers_too()
    {
        _bus.Emit(CoreTopics.DbConnected, EventPayload.Create(("status", "ready")));
        var got = new TaskCompletionSource<LyndrixEvent>();
        _bus.Subscribe(CoreTopics.DbConnected, "mod.late", (ev, _) =>
        {
            got.TrySetResult(ev);
            return Task.CompletedTask;
        });

        var ev = await got.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(ev.Payload.GetString("status"), Is.EqualTo("ready"));
    }

    [Test]
    public void Non_sticky_topics_are_not_replayed()
    {
        _bus.Emit(CoreTopics.SystemStarted);
        var received = 0;
        _bus.Subscribe(CoreTopics.SystemStarted, "mod.late", _ => received++);
        Assert.That(received, Is.Zero);
    }

    [Test]
    public void Subscribing_the_same_handler_twice_for_an_owner_is_ignored()
    {
        var calls = 0;
        Action<LyndrixEvent> handler = _ => calls++;
        var first = _bus.Subscribe("test:topic", "mod.a", handler);
        var second = _bus.Subscribe("test:topic", "mod.a", handler);

        _bus.Emit("test:topic");

        Assert.Multiple(() =>
        {
            Assert.That(calls, Is.EqualTo(1));
            Assert.That(second, Is.SameAs(first));
            Assert.That(_bus.CountFor("mod.a"), Is.EqualTo(1));
        });
    }

    [Test]
    public void The_same_handler_under_another_owner_is_a_separate_subscription()
    {
        var calls = 0;
        Action<LyndrixEvent> handler = _ => calls++;
        _bus.Subscribe("test:topic", "mod.a", handler);
        _bus.Subscribe("test:topic", "mod.b", handler);
        _bus.Emit("test:topic");
        Assert.That(calls, Is.EqualTo(2));
    }

    [Test]
    public async Task RemoveOwner_removes_every_subscription_of_a_module_and_nothing_else()
    {
        var a = 0;
        var b = 0;
        var queued = 0;
        _bus.Subscribe("test:one", "mod.a", _ => a++);
        _bus.Subscribe("test:two", "mod.a", _ => a++);
        _bus.Subscribe("test:one", "mod.a", (_, _) =>
        {
            Interlocked.Increment(ref queued);
            return Task.CompletedTask;
        });
        _bus.Subscribe("test:one", "mod.b", _ => b++);

        var removed = _bus.RemoveOwner("mod.a");
        _bus.Emit("test:one");
        _bus.Emit("test:two");
        await Task.Delay(50);

        Assert.Multiple(() =>
        {
            Assert.That(removed, Is.EqualTo(3));
            Assert.That(a, Is.Zero);
            Assert.That(Volatile.Read(ref queued), Is.Zero);
            Assert.That(b, Is.EqualTo(1));
            Assert.That(_bus.CountFor("mod.a"), Is.Zero);
        });
    }

    [Test]
    public void Disposing_a_subscription_stops_delivery()
    {
        var calls = 0;
        var sub = _bus.Subscribe("test:topic", "mod.a", _ => calls++);
        _bus.Emit("test:topic");
        sub.Dispose();
        _bus.Emit("test:topic");
        Assert.That(calls, Is.EqualTo(1));
    }

    [TestCase("")]
    [TestCase("nocolon")]
    [TestCase("Upper:Case")]
    [TestCase("a::b")]
    [TestCase("a:")]
    [TestCase(":b")]
    [TestCase("a b:c")]
    public void Invalid_topics_are_refused_with_a_clear_message(string topic)
    {
        var ex = Assert.Throws<ArgumentException>(() => _bus.Emit(topic));
        Assert.That(ex!.Message, Does.Contain("domain:event"));
    }

    [Test]
    public async Task WaitForAsync_returns_a_sticky_event_that_already_fired_and_waits_for_a_future_one()
    {
        _bus.Emit(CoreTopics.IamReady);
        var past = await _bus.WaitForAsync(CoreTopics.IamReady, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2));
        Assert.That(past.Topic, Is.EqualTo(CoreTopics.IamReady));

        var future = _bus.WaitForAsync("test:later", CancellationToken.None);
        Assert.That(future.IsCompleted, Is.False);
        _bus.Emit("test:later");
        await future.WaitAsync(TimeSpan.FromSeconds(2));
        Assert.That(_bus.CountFor(EventBus.CoreOwner), Is.Zero, "the waiter's subscription is removed");
    }

    [Test]
    public void Each_event_is_logged_once()
    {
        _bus.Subscribe("test:topic", "mod.a", _ => { });
        _bus.Subscribe("test:topic", "mod.b", _ => { });
        _bus.Emit("test:topic", EventPayload.Create(("x", "y")));
        Assert.That(_logs.Entries.Count(e => e.Message.StartsWith("EVENT test:topic", StringComparison.Ordinal)), Is.EqualTo(1));
    }

    [Test]
    public void Noisy_topics_log_at_debug()
    {
        _bus.Emit("system:metrics_update", EventPayload.Create(("cpu", 1.5)));
        Assert.That(_logs.Entries.Single(e => e.Message.Contains("system:metrics_update")).Level, Is.EqualTo(LogLevel.Debug));
    }

    [Test]
    public void A_disconnect_withdraws_the_sticky_connected_event()
    {
        _bus.Emit(CoreTopics.DbConnected, EventPayload.Create(("status", "ready")));
        _bus.Emit(CoreTopics.DbDisconnected, EventPayload.Create(("reason", "lost")));

        var replayed = 0;
        _bus.Subscribe(CoreTopics.DbConnected, "mod.late", _ => replayed++);
        Assert.That(replayed, Is.Zero, "a subscriber arriving while the database is down must not hear the old db:connected");

        _bus.Emit(CoreTopics.DbConnected, EventPayload.Create(("status", "ready")));
        Assert.That(replayed, Is.EqualTo(1));
    }
}
