using System.Collections.Concurrent;
using Lyndrix.Core.Events;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Tests.Data.Support;

/// <summary>Every event of the topics the database emits, in order.</summary>
internal sealed class RecordedEvents : IDisposable
{
    private readonly ConcurrentQueue<LyndrixEvent> _events = new();
    private readonly IDisposable[] _subscriptions;

    public RecordedEvents(EventBus bus)
    {
        _subscriptions =
        [
            bus.Subscribe(CoreTopics.DbConnected, "test", ev => { if (!ev.Replayed) { _events.Enqueue(ev); } }),
            bus.Subscribe(CoreTopics.DbDisconnected, "test", ev => _events.Enqueue(ev)),
            bus.Subscribe(CoreTopics.SystemMaintenanceMode, "test", ev => _events.Enqueue(ev)),
        ];
    }

    public IReadOnlyList<LyndrixEvent> All => _events.ToArray();

    public IReadOnlyList<LyndrixEvent> Of(string topic) => All.Where(e => e.Topic == topic).ToArray();

    /// <summary>Maintenance events of the database service with this reason (or, for null, the clearing ones).</summary>
    public IReadOnlyList<LyndrixEvent> Maintenance(string? reason) => Of(CoreTopics.SystemMaintenanceMode)
        .Where(e => e.Payload.GetString("service") == "db" &&
                    (reason is null ? e.Payload.GetBoolean("active") == false : e.Payload.GetString("reason") == reason))
        .ToArray();

    public void Dispose()
    {
        foreach (var s in _subscriptions)
        {
            s.Dispose();
        }
    }
}
