using System.Text.Json;
using Lyndrix.Core.Security;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Tests.Security;

public sealed class SecurityEventFeedTests
{
    [Test]
    public void Events_are_held_in_emit_order_with_increasing_ids_and_other_topics_are_not_taken()
    {
        using var logs = new CapturingLoggerProvider();
        var bus = TestBus.Create(logs);
        using var feed = new SecurityEventFeed(bus);
        bus.Emit(SecurityTopics.LoginFailed, EventPayload.Create(("username", "a")));
        bus.Emit("sample:chatter", EventPayload.Create(("x", 1)));
        bus.Emit(CoreTopics.VaultAuthFailed, EventPayload.Create(("reason", "forbidden")));

        var events = feed.ReadAfter(0, 10, out var missed);
        Assert.Multiple(() =>
        {
            Assert.That(missed, Is.Zero);
            Assert.That(events.Select(e => e.Topic), Is.EqualTo(new[] { SecurityTopics.LoginFailed, CoreTopics.VaultAuthFailed }));
            Assert.That(events.Select(e => e.Id), Is.EqualTo(new long[] { 1, 2 }));
            Assert.That(feed.ReadAfter(1, 10, out _).Single().Topic, Is.EqualTo(CoreTopics.VaultAuthFailed));
        });
    }

    [Test]
    public void A_reader_that_fell_behind_the_ring_is_told_how_many_it_missed()
    {
        using var logs = new CapturingLoggerProvider();
        var bus = TestBus.Create(logs);
        using var feed = new SecurityEventFeed(bus);
        var total = SecurityEventFeed.Capacity + 100;
        for (var i = 0; i < total; i++)
        {
            bus.Emit(SecurityTopics.LoginFailed, EventPayload.Create(("n", i)));
        }

        var events = feed.ReadAfter(0, int.MaxValue, out var missed);
        Assert.Multiple(() =>
        {
            Assert.That(missed, Is.EqualTo(100));
            Assert.That(events, Has.Count.EqualTo(SecurityEventFeed.Capacity));
            Assert.That(events[0].Id, Is.EqualTo(101));
            Assert.That(events[^1].Id, Is.EqualTo(total));
        });
    }

    [Test]
    public async Task A_waiting_reader_wakes_on_the_next_event()
    {
        using var logs = new CapturingLoggerProvider();
        var bus = TestBus.Create(logs);
        using var feed = new SecurityEventFeed(bus);
        var waiting = feed.WaitAsync(feed.LastId, CancellationToken.None);
        Assert.That(waiting.IsCompleted, Is.False);
        bus.Emit(SecurityTopics.Logout, EventPayload.Create(("username", "u")));
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Test]
    public void Payload_values_of_secret_looking_keys_are_masked_and_request_payloads_withheld_whole()
    {
        using var logs = new CapturingLoggerProvider();
        var bus = TestBus.Create(logs);
        using var feed = new SecurityEventFeed(bus);
        bus.Emit(CoreTopics.VaultUnsealRequested, EventPayload.Create(("key", "the-master-key-value")));
        bus.Emit(CoreTopics.VaultAuthFailed, EventPayload.Create(("reason", "x"), ("token", "hvs.secret-token-value")));

        var events = feed.ReadAfter(0, 10, out _);
        var all = string.Join("\n", events.Select(e => System.Text.Encoding.UTF8.GetString(SecurityEventJson.ToUtf8(e))));
        Assert.Multiple(() =>
        {
            Assert.That(all, Does.Not.Contain("the-master-key-value"));
            Assert.That(all, Does.Not.Contain("hvs.secret-token-value"));
            using var first = JsonDocument.Parse(SecurityEventJson.ToUtf8(events[0]));
            Assert.That(first.RootElement.GetProperty("payload").GetString(), Is.EqualTo("[REDACTED]"));
            using var second = JsonDocument.Parse(SecurityEventJson.ToUtf8(events[1]));
            Assert.That(second.RootElement.GetProperty("payload").GetProperty("reason").GetString(), Is.EqualTo("x"));
        });
    }
}
