using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Samples.Hello;

/// <summary>The smallest useful plugin: one subscription, one log line.</summary>
public sealed class HelloModule : ILyndrixModule
{
    public Task SetupAsync(IModuleContext context, CancellationToken cancellationToken)
    {
        var greeting = context.Settings["greeting"] ?? "Hello";
        context.Logger.LogInformation("{Greeting} from {Plugin}: set up, waiting for the boot to complete", greeting, context.Manifest.Id);

        // system:boot_complete is a readiness topic: if the boot already completed, the latest event is replayed to us.
        context.Subscribe(CoreTopics.SystemBootComplete, (ev, _) =>
        {
            context.Logger.LogInformation("{Greeting}, world! The host booted ({Status}, {Active} plugin(s) active).",
                greeting, ev.Payload.GetString("status"), ev.Payload.GetInt64("plugins_active"));
            return Task.CompletedTask;
        });
        return Task.CompletedTask;
    }
}
