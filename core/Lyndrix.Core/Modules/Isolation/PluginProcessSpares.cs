using System.ComponentModel;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>
/// Plugin processes started ahead of need (<c>LYNDRIX_PLUGIN_SPARES</c> per account, default 1): started in the account's
/// sandbox, channel opened, secret presented and a setup rehearsed (<see cref="ChildRehearsal"/>), but no plugin loaded. Starting an isolated plugin takes one, so it pays
/// for loading its own code only, not for starting .NET. A spare serves the one plugin it is given and ends with it; it is
/// never reused. Refilled once the plugin that took one has finished its setup, so a new spare's start-up does not compete
/// with that setup for the CPU.
/// </summary>
internal sealed class PluginProcessSpares(IsolationSettings settings, ILogger logger) : IAsyncDisposable
{
    private static readonly TimeSpan OpenTimeout = TimeSpan.FromSeconds(60);

    private readonly Dictionary<string, Queue<Task<PluginProcess?>>> _spares = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <summary>Starts spares for <paramref name="user"/>'s account (null: the host's own) until it has its allowance.</summary>
    public void Refill(PluginUser? user)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var spares = Spares(user);
            while (spares.Count < settings.Spares)
            {
                spares.Enqueue(StartAsync(user));
            }
        }
    }

    /// <summary>A ready spare of the account (waiting for one still starting), or null when there is none: then the plugin
    /// starts its own process.</summary>
    public async Task<PluginProcess?> TakeAsync(PluginUser? user, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task<PluginProcess?>? next;
            lock (_gate)
            {
                if (_disposed || !Spares(user).TryDequeue(out next))
                {
                    return null;
                }
            }

            PluginProcess? spare;
            try
            {
                spare = await next.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _ = EndWhenStartedAsync(next);
                throw;
            }

            if (spare is null)
            {
                continue;
            }

            if (spare.HasExited)
            {
                logger.LogWarning("A spare plugin process ({Pid}) had ended before it was needed; skipped", spare.Id);
                await spare.DisposeAsync().ConfigureAwait(false);
                continue;
            }

            return spare;
        }
    }

    /// <summary>The process ids of the spares that are ready now (for tests and diagnostics).</summary>
    public IReadOnlyList<int> ReadyProcessIds()
    {
        lock (_gate)
        {
            return [.. _spares.Values.SelectMany(q => q).Where(t => t.IsCompletedSuccessfully && t.Result is not null).Select(t => t.Result!.Id)];
        }
    }

    private Queue<Task<PluginProcess?>> Spares(PluginUser? user)
    {
        var key = user?.Name ?? "";
        if (!_spares.TryGetValue(key, out var spares))
        {
            _spares[key] = spares = new Queue<Task<PluginProcess?>>();
        }

        return spares;
    }

    private async Task<PluginProcess?> StartAsync(PluginUser? user)
    {
        await Task.Yield(); // off the caller's thread: starting a process blocks for a moment
        PluginProcess? process = null;
        try
        {
            process = PluginProcess.Start(settings, user, logger);
            using var timeout = new CancellationTokenSource(OpenTimeout);
            await process.Channel.OpenAsync(timeout.Token).ConfigureAwait(false);
            await process.Channel.RehearseAsync(timeout.Token).ConfigureAwait(false);
            return process;
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or OperationCanceledException or IOException or StreamJsonRpc.RemoteRpcException)
        {
            logger.LogWarning("A spare plugin process for {Account} could not be started ({Reason}); plugins start their own process instead",
                user?.Name ?? "the host's account", ex.Message);
            if (process is not null)
            {
                await process.DisposeAsync().ConfigureAwait(false);
            }

            return null;
        }
    }

    private static async Task EndWhenStartedAsync(Task<PluginProcess?> starting)
    {
        if (await starting.ConfigureAwait(false) is { } process)
        {
            await process.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Ends every spare (each exits when its channel closes).</summary>
    public async ValueTask DisposeAsync()
    {
        List<Task<PluginProcess?>> all;
        lock (_gate)
        {
            _disposed = true;
            all = [.. _spares.Values.SelectMany(q => q)];
            _spares.Clear();
        }

        foreach (var starting in all)
        {
            await EndWhenStartedAsync(starting).ConfigureAwait(false);
        }
    }
}
