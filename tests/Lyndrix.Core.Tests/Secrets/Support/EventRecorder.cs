using System.Collections.Concurrent;
using Lyndrix.Core.Events;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Tests.Secrets.Support;

/// <summary>Records the lifecycle's topics in the order they are emitted (inline subscriptions run on the emitter).</summary>
public sealed class EventRecorder : IDisposable
{
    public static readonly string[] LifecycleTopics =
    [
        CoreTopics.VaultNeedsInit, CoreTopics.VaultNeedsUnseal, CoreTopics.VaultInitRequested, CoreTopics.VaultUnsealRequested,
        CoreTopics.VaultInitFailed, CoreTopics.VaultUnsealFailed, CoreTopics.VaultAuthFailed, CoreTopics.VaultConnectionFailed,
        CoreTopics.VaultOpened, CoreTopics.VaultReadyForData, CoreTopics.SystemMaintenanceMode,
    ];

    private readonly ConcurrentQueue<LyndrixEvent> _events = new();
    private readonly List<IDisposable> _subscriptions = [];

    internal EventRecorder(EventBus bus)
    {
        foreach (var topic in LifecycleTopics)
        {
            _subscriptions.Add(bus.Subscribe(topic, "test", ev =>
            {
                if (!ev.Replayed)
                {
                    _events.Enqueue(ev);
                }
            }));
        }
    }

    public IReadOnlyList<LyndrixEvent> Events => _events.ToArray();

    /// <summary>Topics in order; maintenance events are written <c>system:maintenance_mode(on:reason)</c> / <c>(off)</c>.</summary>
    public IReadOnlyList<string> Topics => Events.Select(Describe).ToArray();

    public bool Has(string topic) => _events.Any(e => e.Topic == topic);

    public LyndrixEvent Last(string topic) => Events.Last(e => e.Topic == topic);

    public Task WaitFor(string topic, double seconds = 10) => Tests.Support.Eventually.True(() => Has(topic), $"{topic}; saw: {string.Join(", ", Topics)}", seconds);

    public Task WaitForCount(string topic, int count, double seconds = 10) =>
        Tests.Support.Eventually.True(() => _events.Count(e => e.Topic == topic) >= count, $"{count} x {topic}; saw: {string.Join(", ", Topics)}", seconds);

    public static string Describe(LyndrixEvent ev) => ev.Topic == CoreTopics.SystemMaintenanceMode
        ? ev.Payload.GetBoolean("active") == true ? $"{ev.Topic}(on:{ev.Payload.GetString("reason")})" : $"{ev.Topic}(off)"
        : ev.Topic;

    public void Dispose()
    {
        foreach (var s in _subscriptions)
        {
            s.Dispose();
        }
    }
}
