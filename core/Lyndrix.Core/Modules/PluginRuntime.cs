using System.Reflection;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Boot;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Data;
using Lyndrix.Core.Events;
using Lyndrix.Core.Modules.Isolation;
using Lyndrix.Core.Modules.Trust;
using Lyndrix.Core.Secrets;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules;

/// <summary>
/// Orchestrates the plugins: discovers them, orders them by their dependencies, and turns each run-time operation (start,
/// enable, disable, reload, unload, rescan, a crashed child's restart) into states (<see cref="PluginState"/>) with a reason
/// and <c>plugin:*</c> events. What happens to one plugin's code is <see cref="PluginActivator"/>'s job; the operator's
/// choices are kept by <see cref="PluginPreferences"/>. One plugin's failure, hang or refusal never stops the others.
/// Operations are serialized by one gate, the runtime's only lock; the plugins themselves, and every listing of them, are
/// <see cref="PluginCatalog"/>'s, whose readers never wait.
/// </summary>
internal sealed class PluginRuntime : IPluginRuntime, IAsyncDisposable
{
    private readonly PluginRuntimeSettings _settings;
    private readonly EventBus _bus;
    private readonly ModuleContextFactory _contexts;
    private readonly PluginPreferences _preferences;
    private readonly PluginActivator _activator;
    private readonly ILogger _logger;
    private readonly IsolationSettings? _isolation;
    private readonly PluginProcessSpares? _spares;
    /// <summary>A process that ran this long before crashing starts again with its full allowance of restarts.</summary>
    private static readonly TimeSpan StableRun = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly PluginCatalog _catalog;
    private volatile bool _started;

    public PluginRuntime(
        PluginRuntimeSettings settings,
        EventBus bus,
        TaskTracker tasks,
        IModuleSecretScopeFactory secrets,
        IAuthProviderRegistry providers,
        IPluginStateStore states,
        IConfigSource config,
        ILoggerFactory loggers,
        SharedAssemblyPolicy? policy = null,
        IEnumerable<IModuleSettingsOverlay>? overlays = null,
        PluginTrustVerifier? trust = null,
        IsolationSettings? isolation = null)
    {
        _settings = settings;
        _bus = bus;
        _contexts = new ModuleContextFactory(bus, tasks, secrets, providers, loggers);
        _logger = loggers.CreateLogger<PluginRuntime>();
        _preferences = new PluginPreferences(states, _logger);
        _isolation = isolation;
        _catalog = new PluginCatalog(isolation);
        _spares = isolation is { Spares: > 0 } ? new PluginProcessSpares(isolation, loggers.CreateLogger<PluginProcessSpares>()) : null;
        _activator = new PluginActivator(settings, bus, tasks, _contexts, providers, config, overlays?.ToList() ?? [], policy ?? SharedAssemblyPolicy.Host,
            trust ?? new PluginTrustVerifier(PluginTrustSettings.Any, NoPins.Instance), isolation, _spares, loggers, _logger);
    }

    public bool IsStarted => _started;

    public async Task<PluginStartSummary> StartAllAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_started)
            {
                var descriptors = PluginDiscovery.Scan(_settings.BuiltInModulesDir, _settings.PluginsDir);
                _logger.LogInformation("Plugins: {Count} folder(s) in {PluginsDir} and {BuiltInDir}", descriptors.Count, _settings.PluginsDir, _settings.BuiltInModulesDir);
                await AddAsync(descriptors, linked.Token).ConfigureAwait(false);
                StartSpares();
                _started = true;
                await StartInOrderAsync(descriptors.Select(d => d.Key).ToHashSet(StringComparer.Ordinal), linked.Token).ConfigureAwait(false);
            }

            return _catalog.Summary();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<PluginHealth>> CheckHealthAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        return await Task.WhenAll(_catalog.ActiveModules().Select(async a => new PluginHealth(a.Id, await CheckOneAsync(a.Id, a.Module, timeout, cancellationToken))))
            .ConfigureAwait(false);
    }

    private async Task<ModuleHealth> CheckOneAsync(string id, ILyndrixModule module, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(timeout);
        try
        {
            // Task.Run: a plugin that blocks synchronously must not hold up the request or the other checks.
            return await Task.Run(() => module.CheckHealthAsync(budget.Token), CancellationToken.None).WaitAsync(timeout, cancellationToken)
                .ConfigureAwait(false) ?? new ModuleHealth(HealthStatus.Unknown, "the plugin returned no report");
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            _logger.LogWarning("Plugin {Id}: health check gave no answer within {Timeout}", id, timeout);
            return new ModuleHealth(HealthStatus.Error, $"no answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The plugin's own message stays in the log: it is plugin text and could carry anything.
            _logger.LogWarning(ex, "Plugin {Id}: health check failed", id);
            return new ModuleHealth(HealthStatus.Error, $"the health check threw {ex.GetType().Name}; see the log");
        }
    }

    public IReadOnlyList<PluginInfo> List() => _catalog.List();

    public PluginInfo? Get(string id) => _catalog.Find(id) is { } entry ? _catalog.Describe(entry) : null;

    public IReadOnlyList<UnwellPlugin> EnabledButNotRunning() => _catalog.EnabledButNotRunning();

    public Task<PluginInfo> EnableAsync(string id, CancellationToken cancellationToken) => RunAsync(id, async entry =>
    {
        if (!entry.IsUsable)
        {
            throw PluginOperationException.Conflict($"Plugin '{id}' cannot be enabled: {entry.Reason}");
        }

        await _preferences.PersistAsync(entry, enabled: true, _stopping.Token).ConfigureAwait(false);
        entry.Restarts = 0;
        if (entry.State != PluginState.Active)
        {
            await StartWithPlanAsync(entry).ConfigureAwait(false);
            await RetryBlockedAsync().ConfigureAwait(false);
        }

        return _catalog.Describe(entry);
    }, cancellationToken);

    public Task<PluginInfo> DisableAsync(string id, CancellationToken cancellationToken) => RunAsync(id, async entry =>
    {
        if (!entry.IsUsable)
        {
            throw PluginOperationException.Conflict($"Plugin '{id}' never starts ({entry.State}: {entry.Reason}); there is nothing to disable.");
        }

        await _preferences.PersistAsync(entry, enabled: false, _stopping.Token).ConfigureAwait(false);
        await StopAsync(entry, PluginState.Disabled, null).ConfigureAwait(false);
        return _catalog.Describe(entry);
    }, cancellationToken);

    public Task<UnloadResult> UnloadAsync(string id, CancellationToken cancellationToken) => RunAsync(id, async entry =>
    {
        if (entry.IsUsable)
        {
            await _preferences.PersistAsync(entry, enabled: false, _stopping.Token).ConfigureAwait(false);
            await StopAsync(entry, PluginState.Disabled, null).ConfigureAwait(false);
        }

        var (unloaded, detail) = await _activator.ReleaseCodeAsync(entry, _stopping.Token).ConfigureAwait(false);
        return new UnloadResult(_catalog.Describe(entry), unloaded, detail);
    }, cancellationToken);

    /// <summary>Stops the plugin, releases its code, re-reads its folder from disk (a replaced folder is picked up) and
    /// starts it again if it is enabled.</summary>
    public Task<PluginInfo> ReloadAsync(string id, CancellationToken cancellationToken) => RunAsync(id, async entry =>
    {
        entry.Restarts = 0;
        if (entry.State is PluginState.Active or PluginState.Initializing)
        {
            await StopAsync(entry, PluginState.Initializing, "Reloading.").ConfigureAwait(false);
        }

        var (unloaded, detail) = await _activator.ReleaseCodeAsync(entry, _stopping.Token).ConfigureAwait(false);
        if (!unloaded)
        {
            // The new code still loads from fresh bytes into a fresh context (plugins load in memory, so the old context never
            // lends its image); the old one is counted in held_contexts until it is collected.
            _logger.LogWarning("Reloading {Id}: the previous code is still in memory ({Detail}); the new code loads into a fresh context anyway", id, detail);
        }

        var fresh = PluginManifestReader.Read(entry.Descriptor.Folder, entry.Descriptor.Origin);
        fresh = PluginDiscovery.Deduplicate(fresh, _catalog.FolderOwners(except: entry));
        if (fresh.Key != entry.Id)
        {
            throw PluginOperationException.Conflict(
                $"The folder {entry.Descriptor.Folder} now holds '{fresh.Key}' instead of '{id}'. Unload '{id}', then POST /api/plugins/rescan to pick up the new plugin.");
        }

        entry.Descriptor = fresh;
        LogDescriptor(fresh);
        _contexts.Domains.Remove(id);
        if (!entry.IsUsable)
        {
            entry.Move(PluginState.Degraded, DescribeUnusable(fresh));
            return _catalog.Describe(entry);
        }

        _contexts.Domains.Set(entry.Manifest);
        await _preferences.SyncAsync(entry, await _preferences.ReadAsync(_stopping.Token).ConfigureAwait(false), _stopping.Token).ConfigureAwait(false);
        if (entry.Enabled)
        {
            await StartWithPlanAsync(entry).ConfigureAwait(false);
            await RetryBlockedAsync().ConfigureAwait(false);
        }
        else
        {
            entry.Move(PluginState.Disabled, null);
        }

        return _catalog.Describe(entry);
    }, cancellationToken);

    /// <summary>Picks up plugin folders added since boot and starts the enabled ones.</summary>
    public async Task<IReadOnlyList<PluginInfo>> RescanAsync(CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var owners = _catalog.FolderOwners();
            var known = owners.Values.ToHashSet(StringComparer.Ordinal);

            var added = new List<PluginDescriptor>();
            foreach (var (dir, origin) in new[] { (_settings.BuiltInModulesDir, PluginOrigin.BuiltIn), (_settings.PluginsDir, PluginOrigin.PluginsDirectory) })
            {
                foreach (var folder in PluginDiscovery.Folders(dir).Select(Path.GetFullPath).Where(f => !known.Contains(f)))
                {
                    added.Add(PluginDiscovery.Deduplicate(PluginManifestReader.Read(folder, origin), owners));
                }
            }

            await AddAsync(added, _stopping.Token).ConfigureAwait(false);
            await StartInOrderAsync(added.Select(d => d.Key).ToHashSet(StringComparer.Ordinal), _stopping.Token).ConfigureAwait(false);
            await RetryBlockedAsync().ConfigureAwait(false);
            return added.Select(d => _catalog.Describe(_catalog[d.Key])).ToList();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Tears down every active plugin (dependents first) and releases all code; used at host shutdown.</summary>
    public async Task StopAllAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            List<PluginEntry> entries = [.. _catalog.All];

            var order = DependencyPlan.Build(entries.Select(e => e.Descriptor)).Order.Reverse().ToList();
            foreach (var entry in order.Select(id => entries.First(e => e.Id == id)).Concat(entries.Where(e => !order.Contains(e.Id))))
            {
                if (entry.State is PluginState.Active)
                {
                    await StopAsync(entry, PluginState.Disabled, "The host is stopping.", cascade: false).ConfigureAwait(false);
                }

                entry.Code?.Unload();
                entry.Code = null;
            }

            if (_spares is not null)
            {
                await _spares.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A spare process for each account that isolated plugins run as, started while the first plugins load.</summary>
    private void StartSpares()
    {
        if (_spares is null)
        {
            return;
        }

        foreach (var entry in _catalog.All.Where(e => e.IsUsable && e.Enabled && _isolation!.ModeFor(e.Descriptor) == IsolationSettings.Process))
        {
            try
            {
                _spares.Refill(_isolation!.AccountFor(entry.Id));
            }
            catch (PluginLoadException)
            {
                // The account cannot be used: the plugin's own start says so.
            }
        }
    }

    /// <summary>The process ids of the ready spare plugin processes.</summary>
    public IReadOnlyList<int> SpareProcessIds() => _spares?.ReadyProcessIds() ?? [];

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await StopAllAsync(CancellationToken.None).ConfigureAwait(false);
        }

        _stopping.Dispose();
        _gate.Dispose();
    }

    private async Task<T> RunAsync<T>(string id, Func<PluginEntry, Task<T>> operation, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await operation(_catalog.Find(id) ?? throw PluginOperationException.NotFound(id)).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task EnterAsync(CancellationToken cancellationToken)
    {
        if (!_started)
        {
            throw PluginOperationException.Conflict(
                "Plugins have not been started yet: they start after the secret store, database and IAM are ready. GET /api/boot shows what the boot waits on.");
        }

        if (_stopping.IsCancellationRequested)
        {
            throw PluginOperationException.Unavailable("The host is stopping; plugin operations are no longer accepted.");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task AddAsync(IReadOnlyList<PluginDescriptor> descriptors, CancellationToken cancellationToken)
    {
        var records = await _preferences.ReadAsync(_stopping.Token).ConfigureAwait(false);
        foreach (var descriptor in descriptors)
        {
            LogDescriptor(descriptor);
            var entry = new PluginEntry(descriptor);
            _catalog.Add(entry);

            if (!entry.IsUsable)
            {
                entry.Move(PluginState.Degraded, DescribeUnusable(descriptor));
                continue;
            }

            _contexts.Domains.Set(entry.Manifest);
            await _preferences.SyncAsync(entry, records, _stopping.Token).ConfigureAwait(false);
            entry.Move(entry.Enabled ? PluginState.Initializing : PluginState.Disabled, null);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Starts the given plugins wave by wave in dependency order; plugins of one wave start concurrently.</summary>
    private async Task StartInOrderAsync(IReadOnlySet<string> ids, CancellationToken cancellationToken)
    {
        var plan = DependencyPlan.Build(_catalog.Descriptors());
        foreach (var (id, reason) in plan.Blocked.Where(b => ids.Contains(b.Key)))
        {
            var entry = _catalog[id];
            if (entry.Enabled)
            {
                entry.Move(PluginState.Blocked, reason);
                _logger.LogWarning("Plugin {Id}: {Reason}", id, reason);
            }
        }

        foreach (var level in plan.Levels)
        {
            var starting = level.Where(ids.Contains).Select(id => _catalog[id]).Where(e => e.Enabled && e.State == PluginState.Initializing).ToList();
            await Task.WhenAll(starting.Select(e => ActivateAsync(e, cancellationToken))).ConfigureAwait(false);
        }
    }

    private async Task StartWithPlanAsync(PluginEntry entry)
    {
        if (DependencyPlan.Build(_catalog.Descriptors()).Blocked.TryGetValue(entry.Id, out var reason))
        {
            entry.Move(PluginState.Blocked, reason);
            EmitStateChanged(entry);
            return;
        }

        await ActivateAsync(entry, _stopping.Token).ConfigureAwait(false);
    }

    /// <summary>Loads (if needed), creates and sets up one plugin. Ends in active, blocked or failed; never throws for the
    /// plugin's faults.</summary>
    private async Task ActivateAsync(PluginEntry entry, CancellationToken cancellationToken)
    {
        if (_catalog.MissingDependency(entry) is { } blocked)
        {
            entry.Move(PluginState.Blocked, blocked);
            _logger.LogWarning("Plugin {Id}: {Reason}", entry.Id, blocked);
            EmitStateChanged(entry);
            return;
        }

        entry.Move(PluginState.Initializing, null);
        string? failure;
        try
        {
            failure = await _activator.ActivateAsync(entry, reason => _ = OnChildExitedAsync(entry, reason), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            entry.Move(PluginState.Failed, "The host stopped during setup.");
            throw;
        }

        if (failure is not null)
        {
            await FailAsync(entry, failure).ConfigureAwait(false);
            return;
        }

        entry.ActiveSince = Environment.TickCount64;
        entry.Move(PluginState.Active, null);
        _logger.LogInformation("Plugin {Id} {Version} active", entry.Id, entry.Manifest?.Version);
        EmitStateChanged(entry);
    }

    /// <summary>Starts blocked, enabled plugins whose dependencies have become active, until nothing changes.</summary>
    private async Task RetryBlockedAsync()
    {
        while (true)
        {
            var ready = _catalog.Unblocked();
            if (ready.Count == 0)
            {
                return;
            }

            foreach (var entry in ready)
            {
                await ActivateAsync(entry, _stopping.Token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Tears the module down (if it is running), removes everything it registered, and blocks its dependents.</summary>
    private async Task StopAsync(PluginEntry entry, PluginState state, string? reason, bool cascade = true)
    {
        if (entry.State == PluginState.Active)
        {
            await _activator.TeardownAsync(entry).ConfigureAwait(false);
        }

        var wasRunning = entry.State is PluginState.Active or PluginState.Initializing;
        await _activator.CleanupAsync(entry).ConfigureAwait(false);
        entry.Move(state, reason);
        EmitStateChanged(entry);
        if (cascade && wasRunning)
        {
            foreach (var dependent in _catalog.ActiveDependentsOf(entry.Id))
            {
                await StopAsync(dependent, PluginState.Blocked, $"Blocked: it needs {entry.Id}, which is {PluginStates.Name(state)}.").ConfigureAwait(false);
            }
        }
    }

    /// <summary>An isolated plugin's process ended on its own (crash, kill, memory limit): the plugin fails, the rest goes
    /// on; with <c>LYNDRIX_PLUGIN_RESTARTS</c> it is started again after a growing pause.</summary>
    private async Task OnChildExitedAsync(PluginEntry entry, string reason)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (entry.Isolated is null || entry.State is not (PluginState.Active or PluginState.Initializing))
            {
                return;
            }

            if (entry.State == PluginState.Active && Environment.TickCount64 - entry.ActiveSince > StableRun.TotalMilliseconds)
            {
                entry.Restarts = 0;
            }

            var allowed = _isolation?.Restarts ?? 0;
            if (entry.State != PluginState.Active || entry.Restarts >= allowed)
            {
                await FailAsync(entry, allowed == 0 ? reason : $"{reason} Not restarted: {allowed} restart(s) used (LYNDRIX_PLUGIN_RESTARTS).").ConfigureAwait(false);
                return;
            }

            entry.Restarts++;
            var pause = TimeSpan.FromSeconds(Math.Min(30, 1 << (entry.Restarts - 1)));
            await FailAsync(entry, $"{reason} Restarting in {pause.TotalSeconds:0}s (restart {entry.Restarts} of {allowed}, LYNDRIX_PLUGIN_RESTARTS).").ConfigureAwait(false);
            _ = RestartAsync(entry, pause);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task RestartAsync(PluginEntry entry, TimeSpan pause)
    {
        try
        {
            await Task.Delay(pause, _stopping.Token).ConfigureAwait(false);
            await _gate.WaitAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            // Only if nobody acted in between: an operator's disable, reload or unload wins.
            if (entry.State == PluginState.Failed && entry.Enabled && entry.Isolated is null && entry.Module is null)
            {
                _logger.LogInformation("Plugin {Id}: restarting its process (restart {Restart})", entry.Id, entry.Restarts);
                await ActivateAsync(entry, _stopping.Token).ConfigureAwait(false);
                await RetryBlockedAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task FailAsync(PluginEntry entry, string error)
    {
        await _activator.CleanupAsync(entry).ConfigureAwait(false);
        entry.Move(PluginState.Failed, error);
        _logger.LogError("PLUGIN_FAILED {Id}: {Error}", entry.Id, error);
        _bus.Emit(CoreTopics.PluginSetupFailed, EventPayload.Create(("plugin_id", entry.Id), ("error", error)));
        EmitStateChanged(entry);
    }

    private void LogDescriptor(PluginDescriptor descriptor)
    {
        foreach (var error in descriptor.Errors)
        {
            _logger.LogError("Plugin {Key} ({Folder}): {Error}", descriptor.Key, descriptor.Folder, error);
        }

        foreach (var warning in descriptor.Warnings)
        {
            _logger.LogWarning("Plugin {Key}: {Warning}", descriptor.Key, warning);
        }

        if (descriptor.Incompatibility is not null)
        {
            _logger.LogWarning("Plugin {Key} degraded: {Reason}", descriptor.Key, descriptor.Incompatibility);
        }
    }

    private static string DescribeUnusable(PluginDescriptor descriptor) =>
        descriptor.Incompatibility ?? "Invalid plugin.json: " + string.Join(" ", descriptor.Errors);

    // is_active: running now (only 'active'); enabled: the operator's choice, which a failed or blocked plugin keeps.
    private void EmitStateChanged(PluginEntry entry) =>
        _bus.Emit(CoreTopics.PluginStateChanged, EventPayload.Create(
            ("plugin_id", entry.Id), ("state", PluginStates.Name(entry.State)), ("is_active", entry.State == PluginState.Active), ("enabled", entry.Enabled)));
}
