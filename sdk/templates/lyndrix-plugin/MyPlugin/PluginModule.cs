using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace MyPlugin;

/// <summary>The plugin's entry point: the host creates it and calls <see cref="SetupAsync"/> with the plugin's context.</summary>
public sealed class PluginModule : ILyndrixModule
{
    /// <inheritdoc/>
    public Task SetupAsync(IModuleContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var greeting = context.Settings.TryGetValue("greeting", out var value) && value is not null ? value : "Hello";

        // Topics must be listed in plugin.json (permissions.subscribe / permissions.emit); anything else is refused.
        context.Subscribe(CoreTopics.SystemBootComplete, (_, _) =>
        {
            context.Logger.LogInformation("{Greeting} from {Plugin}", greeting, context.Manifest.Id);
            context.Emit("myplugin:greeted", EventPayload.Create(("greeting", greeting)));
            return Task.CompletedTask;
        });
        return Task.CompletedTask;
    }
}
