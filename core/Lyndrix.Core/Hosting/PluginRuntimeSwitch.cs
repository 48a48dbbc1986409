using Lyndrix.Core.Modules;

namespace Lyndrix.Core.Hosting;

/// <summary><see cref="IPluginSwitch"/> over the plugin runtime, which stays unaware that other hosts exist.</summary>
internal sealed class PluginRuntimeSwitch(PluginRuntime runtime) : IPluginSwitch
{
    public IReadOnlyList<PluginInfo> List() => runtime.List();

    public Task EnableAsync(string id, CancellationToken cancellationToken) => runtime.EnableAsync(id, cancellationToken);

    public Task DisableAsync(string id, CancellationToken cancellationToken) => runtime.DisableAsync(id, cancellationToken);
}
