using Lyndrix.Core.Data;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules;

/// <summary>
/// The operator's choices for each plugin (enabled or not, and the version that was installed), kept in the database through
/// <see cref="IPluginStateStore"/>: read at start and rescan, recorded for a new or changed plugin, saved on enable and
/// disable. A choice that cannot be saved changes nothing; one that cannot be read falls back to the manifest.
/// </summary>
internal sealed class PluginPreferences(IPluginStateStore states, ILogger logger)
{
    public async Task<Dictionary<string, PluginStateRecord>> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var records = await states.ListAsync(cancellationToken).ConfigureAwait(false);
            return records.ToDictionary(r => r.ModuleId, StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("Plugin states could not be read ({Message}); plugins start as their manifests say (auto_enable_on_install)", ex.Message);
            return new Dictionary<string, PluginStateRecord>(StringComparer.Ordinal);
        }
    }

    public async Task SyncAsync(PluginEntry entry, Dictionary<string, PluginStateRecord> records, CancellationToken cancellationToken)
    {
        var manifest = entry.RequireManifest();
        if (records.TryGetValue(entry.Id, out var record))
        {
            entry.Enabled = record.IsActive;
            if (record.InstalledVersion == manifest.Version)
            {
                return;
            }
        }
        else
        {
            entry.Enabled = manifest.AutoEnableOnInstall;
        }

        try
        {
            await states.SaveAsync(new PluginStateRecord(entry.Id, entry.Enabled, manifest.Version), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("The state of plugin {Id} could not be saved ({Message}); it is used for this run only", entry.Id, ex.Message);
        }
    }

    public async Task PersistAsync(PluginEntry entry, bool enabled, CancellationToken cancellationToken)
    {
        try
        {
            await states.SaveAsync(new PluginStateRecord(entry.Id, enabled, entry.RequireManifest().Version), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw PluginOperationException.Unavailable(
                $"The choice could not be saved, so nothing was changed: {ex.Message} Check the database (GET /api/health) and try again.");
        }

        entry.Enabled = enabled;
    }
}
