using Microsoft.Extensions.Hosting;

namespace Lyndrix.Core.Modules;

/// <summary>Tears plugins down when the host stops, before the bus and task tracker are disposed.</summary>
internal sealed class PluginShutdown(PluginRuntime runtime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => runtime.StopAllAsync(cancellationToken);
}
