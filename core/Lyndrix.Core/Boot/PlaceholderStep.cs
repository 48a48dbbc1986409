using Lyndrix.Core.Events;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Boot;

/// <summary>
/// Stands in for a core service that has not been built yet: when <paramref name="after"/> fires it announces
/// <paramref name="announce"/> without doing the work. The README lists which steps still use one.
/// </summary>
internal sealed class PlaceholderStep(EventBus bus, ILogger<PlaceholderStep> logger, string name, string after, params string[] announce)
    : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = bus.Subscribe(after, EventBus.CoreOwner, _ =>
        {
            logger.LogWarning("{Name} is a placeholder in this build: announcing {Topics} without doing the work", name, string.Join(", ", announce));
            foreach (var topic in announce)
            {
                bus.Emit(topic);
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }
}
