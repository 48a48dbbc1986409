using Lyndrix.Core.Boot;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Data;
using Lyndrix.Core.Modules;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Hosting;

/// <summary>
/// Makes an enable or disable done through any host of a cluster take effect on this one: every
/// <c>LYNDRIX_PLUGIN_SYNC_INTERVAL</c> it reads the shared choices (<c>plugin_states</c>) and enables or disables the plugins
/// of this host whose state differs, so a change reaches every host within one interval. Each host still reports its own
/// state (a plugin can be enabled everywhere and still fail on one host). Only plugins whose record says otherwise are
/// touched; one this host cannot switch (refused, blocked) is reported once, not retried in a loop.
/// </summary>
internal sealed partial class PluginStateFollower(IPluginStateStore states, IPluginSwitch plugins, BootState boot, HostSettings settings,
    TimeProvider time, ILogger<PluginStateFollower> logger) : BackgroundService
{
    private readonly HashSet<(string Id, bool Enabled)> _refused = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (settings.PluginSyncInterval <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(settings.PluginSyncInterval, time, stoppingToken).ConfigureAwait(false);
                if (boot.Phase == BootPhase.Ready)
                {
                    await FollowOnceAsync(stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass: applies every shared choice that differs from this host's state; returns how many it applied.</summary>
    public async Task<int> FollowOnceAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<PluginStateRecord> records;
        try
        {
            records = await states.ListAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogUnreadable(ex.Message);
            return 0;
        }

        var local = plugins.List().ToDictionary(p => p.Id, StringComparer.Ordinal);
        var applied = 0;
        foreach (var record in records)
        {
            if (!local.TryGetValue(record.ModuleId, out var plugin) || plugin.Enabled == record.IsActive || _refused.Contains((record.ModuleId, record.IsActive)))
            {
                continue;
            }

            try
            {
                if (record.IsActive)
                {
                    await plugins.EnableAsync(record.ModuleId, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await plugins.DisableAsync(record.ModuleId, cancellationToken).ConfigureAwait(false);
                }

                applied++;
                LogFollowed(record.ModuleId, record.IsActive ? "enabled" : "disabled");
            }
            catch (PluginOperationException ex)
            {
                _refused.Add((record.ModuleId, record.IsActive));
                LogRefused(record.ModuleId, record.IsActive ? "enable" : "disable", ex.Message);
            }
        }

        return applied;
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Information, Message = "Plugin {Id} {Change} on this host: another host changed it (plugin_states)")]
    private partial void LogFollowed(string id, string change);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "Another host chose to {Change} plugin {Id}, but this host cannot: {Reason}")]
    private partial void LogRefused(string id, string change, string reason);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Debug, Message = "Plugin states could not be read to follow other hosts ({Reason}); trying again at the next interval")]
    private partial void LogUnreadable(string reason);
}
