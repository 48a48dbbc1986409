using System.Globalization;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Samples.Events;

/// <summary>Emits <c>events:tick</c> every few seconds once the host has booted, and logs the ticks it hears.</summary>
public sealed class EventsModule : ILyndrixModule
{
    public Task SetupAsync(IModuleContext context, CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(int.Parse(context.Settings["interval_seconds"] ?? "5", CultureInfo.InvariantCulture));

        context.Subscribe("events:tick", (ev, _) =>
        {
            context.Logger.LogInformation("Heard tick {Number} from {Source}", ev.Payload.GetInt64("number"), ev.Source);
            return Task.CompletedTask;
        });

        context.Subscribe(CoreTopics.SystemBootComplete, (_, _) =>
        {
            // Long-running work goes into a tracked task: the host cancels it when the plugin is disabled or unloaded.
            context.CreateTask("ticker", async ct =>
            {
                for (long n = 1; !ct.IsCancellationRequested; n++)
                {
                    context.Emit("events:tick", EventPayload.Create(("number", n)));
                    await Task.Delay(interval, ct);
                }
            });
            return Task.CompletedTask;
        });

        ShowPermissionViolations(context);
        return Task.CompletedTask;
    }

    private static void ShowPermissionViolations(IModuleContext context)
    {
        // Not declared in permissions.emit: refused, logged by the host as a warning, and reported as security:permission_denied.
        try
        {
            context.Emit("events:undeclared");
        }
        catch (ModulePermissionDeniedException ex)
        {
            context.Logger.LogInformation("Refused as expected ({Operation} {Resource}): {Message}", ex.Operation, ex.Resource, ex.Message);
        }

        // Core topics are refused even if a plugin's manifest said "*": no plugin can fake readiness.
        try
        {
            context.Emit(CoreTopics.VaultReadyForData);
        }
        catch (ModulePermissionDeniedException ex)
        {
            context.Logger.LogInformation("Refused as expected ({Operation} {Resource}): {Message}", ex.Operation, ex.Resource, ex.Message);
        }
    }
}
