using System.Diagnostics.Metrics;
using Lyndrix.Core.Boot;
using Lyndrix.Core.Data;
using Lyndrix.Core.Events;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Secrets.Lifecycle;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Hosting;

namespace Lyndrix.Core.Metrics;

/// <summary>Connects the gauges to the services' state and counts database reconnects from <c>db:connected</c>; created
/// before the boot so it hears every event.</summary>
internal sealed class MetricsObservers : IHostedService, IDisposable
{
    private static readonly string[] SecretStoreStates =
        [SecretStoreUiState.Loading, SecretStoreUiState.NeedsInit, SecretStoreUiState.NeedsUnseal, SecretStoreUiState.Ready, SecretStoreUiState.Error];

    private readonly IDisposable _reconnects;

    public MetricsObservers(LyndrixMetrics metrics, EventBus bus, SecretLifecycle secrets, MaintenanceState maintenance, PluginRuntime plugins,
        DatabaseStatus database)
    {
        _reconnects = bus.Subscribe(CoreTopics.DbConnected, EventBus.CoreOwner, ev =>
        {
            if (!ev.Replayed && ev.Payload.GetBoolean("reconnect") == true)
            {
                metrics.DatabaseReconnected();
            }
        });
        metrics.Observe("lyndrix.secret_store.state", "{state}", "1 for the secret store's current state (loading, needs_init, needs_unseal, ready, error).",
            () => SecretStoreStates.Select(s => new Measurement<long>(secrets.Snapshot.UiState == s ? 1 : 0, new KeyValuePair<string, object?>("state", s))));
        metrics.Observe("lyndrix.database.connected", "{connection}", "1 while the database is connected.",
            () => [new Measurement<long>(database.IsConnected ? 1 : 0)]);
        metrics.Observe("lyndrix.maintenance", "{service}", "1 for each service in maintenance mode, by service and reason.",
            () => maintenance.Active.Select(m => new Measurement<long>(1, new("service", m.Key), new("reason", m.Value))));
        metrics.Observe("lyndrix.plugins", "{plugin}", "Plugins by state.", () =>
        {
            var list = plugins.List();
            return PluginStates.All.Select(s => new Measurement<long>(list.Count(p => p.State == s), new KeyValuePair<string, object?>("state", PluginStates.Name(s))));
        });
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _reconnects.Dispose();
}
