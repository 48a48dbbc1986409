using Lyndrix.Core.Modules;

namespace Lyndrix.Core.Hosting;

/// <summary>What <see cref="PluginStateFollower"/> needs of the plugin runtime: this host's plugins, and enabling or disabling one.</summary>
internal interface IPluginSwitch
{
    IReadOnlyList<PluginInfo> List();

    Task EnableAsync(string id, CancellationToken cancellationToken);

    Task DisableAsync(string id, CancellationToken cancellationToken);
}
