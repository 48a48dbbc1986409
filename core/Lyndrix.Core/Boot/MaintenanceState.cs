using System.Collections.Concurrent;
using Lyndrix.Core.Events;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Boot;

/// <summary>One maintenance lock per service, set and cleared by <c>system:maintenance_mode</c>.</summary>
internal sealed class MaintenanceState : IDisposable
{
    private readonly ConcurrentDictionary<string, string> _locks = new(StringComparer.Ordinal);
    private readonly IDisposable _subscription;

    public MaintenanceState(EventBus bus)
    {
        _subscription = bus.Subscribe(CoreTopics.SystemMaintenanceMode, EventBus.CoreOwner, ev =>
        {
            var service = ev.Payload.GetString("service") ?? "unknown";
            if (ev.Payload.GetBoolean("active") == true)
            {
                _locks[service] = ev.Payload.GetString("reason") ?? "unspecified";
            }
            else
            {
                _locks.TryRemove(service, out _);
            }
        });
    }

    public IReadOnlyDictionary<string, string> Active => new Dictionary<string, string>(_locks);

    public void Dispose() => _subscription.Dispose();
}
