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
/// Discovers, orders, loads, starts and stops plugins. Every plugin gets its own collectible load context and a
/// <see cref="ModuleContext"/> confined to its manifest. One plugin's failure, hang or refusal never stops the others:
/// each ends in a state (<see cref="PluginState"/>) with a reason. Run-time operations (enable, disable, reload, unload,
/// rescan) are serialized; listings are lock-protected snapshots.
/// </summary>
internal sealed class PluginRuntime : IPluginRuntime, IAsyncDisposable
{
    private readonly PluginRuntimeSettings _settings;
    private readonly EventBus _bus;
    private readonly TaskTracker _tasks;
    private readonly ModuleContextFactory _contexts;
    private readonly IAuthProviderRegistry _providers;
    private readonly IPluginStateStore _states;
    private readonly IConfigSource _config;
    private readonly ILogger _logger;
    private readonly SharedAssemblyPolicy _policy;
    private readonly IReadOnlyList<IModuleSettingsOverlay> _overlays;
    private readonly PluginTrustVerifier _trust;
    private readonly IsolationSettings? _isolation;
    private readonly ILoggerFactory _loggerFactory;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _snapshot = new();
    private readonly Dictionary<string, PluginEntry> _entries = new(StringComparer.Ordinal);
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
        _tasks = tasks;
        _contexts = new ModuleContextFactory(bus, tasks, secrets, providers, loggers);
        _providers = providers;
        _states = states;
        _config = config;
        _logger = loggers.CreateLogger<PluginRuntime>();
        _policy = policy ?? SharedAssemblyPolicy.Host;
        _overlays = overlays?.ToList() ?? [];
        _trust = trust ?? new PluginTrustVerifier(PluginTrustSettings.Any, NoPins.Instance);
        _isolation = isolation;
        _loggerFactory = loggers;
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
                _started = true;
                await StartInOrderAsync(descriptors.Select(d => d.Key).ToHashSet(StringComparer.Ordinal), linked.Token).ConfigureAwait(false);
            }

            return Summary();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<PluginHealth>> CheckHealthAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        List<(string Id, ILyndrixModule Module)> active;
        lock (_snapshot)
        {
            active = _entries.Values.Where(e => e.State == PluginState.Active && e.Module is not null)
                .OrderBy(e => e.Id, StringComparer.Ordinal).Select(e => (e.Id, e.Module!)).ToList();
        }

        return await Task.WhenAll(active.Select(async a => new PluginHealth(a.Id, await CheckOneAsync(a.Id, a.Module, timeout, cancellationToken))))
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

    public IReadOnlyList<PluginInfo> List()
    {
        lock (_snapshot)
        {
            return _entries.Values.OrderBy(e => e.Id, StringComparer.Ordinal).Select(Snapshot).ToList();
        }
    }

    public PluginInfo? Get(string id)
    {
        lock (_snapshot)
        {
            return _entries.TryGetValue(id, out var e) ? Snapshot(e) : null;
        }
    }

    public Task<PluginInfo> EnableAsync(string id, CancellationToken cancellationToken) => RunAsync(id, async entry =>
    {
        if (!entry.IsUsable)
        {
            throw PluginOperationException.Conflict($"Plugin '{id}' cannot be enabled: {entry.Reason}");
        }

        await PersistAsync(entry, enabled: true).ConfigureAwait(false);
        if (entry.State != PluginState.Active)
        {
            await StartWithPlanAsync(entry).ConfigureAwait(false);
            await RetryBlockedAsync().ConfigureAwait(false);
        }

        return Snapshot(entry);
    }, cancellationToken);

    public Task<PluginInfo> DisableAsync(string id, CancellationToken cancellationToken) => RunAsync(id, async entry =>
    {
        if (!entry.IsUsable)
        {
            throw PluginOperationException.Conflict($"Plugin '{id}' never starts ({entry.State}: {entry.Reason}); there is nothing to disable.");
        }

        await PersistAsync(entry, enabled: false).ConfigureAwait(false);
        await StopAsync(entry, PluginState.Disabled, null).ConfigureAwait(false);
        return Snapshot(entry);
    }, cancellationToken);

    public Task<UnloadResult> UnloadAsync(string id, CancellationToken cancellationToken) => RunAsync(id, async entry =>
    {
        if (entry.IsUsable)
        {
            await PersistAsync(entry, enabled: false).ConfigureAwait(false);
            await StopAsync(entry, PluginState.Disabled, null).ConfigureAwait(false);
        }

        var (unloaded, detail) = await ReleaseCodeAsync(entry).ConfigureAwait(false);
        return new UnloadResult(Snapshot(entry), unloaded, detail);
    }, cancellationToken);

    /// <summary>Stops the plugin, releases its code, re-reads its folder from disk (a replaced folder is picked up) and
    /// starts it again if it is enabled.</summary>
    public Task<PluginInfo> ReloadAsync(string id, CancellationToken cancellationToken) => RunAsync(id, async entry =>
    {
        if (entry.State is PluginState.Active or PluginState.Initializing)
        {
            await StopAsync(entry, PluginState.Initializing, "Reloading.").ConfigureAwait(false);
        }

        var (unloaded, detail) = await ReleaseCodeAsync(entry).ConfigureAwait(false);
        if (!unloaded)
        {
            _logger.LogWarning("Reloading {Id}: the previous code is still in memory ({Detail}); the new code loads into a fresh context anyway", id, detail);
        }

        var fresh = PluginManifestReader.Read(entry.Descriptor.Folder, entry.Descriptor.Origin);
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        lock (_snapshot)
        {
            foreach (var other in _entries.Values.Where(e => !ReferenceEquals(e, entry)))
            {
                owners[other.Id] = other.Descriptor.Folder;
            }
        }

        fresh = PluginDiscovery.Deduplicate(fresh, owners);
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
            SetState(entry, PluginState.Degraded, DescribeUnusable(fresh));
            return Snapshot(entry);
        }

        _contexts.Domains.Set(fresh.Manifest!);
        await SyncRecordAsync(entry, await ReadRecordsAsync().ConfigureAwait(false)).ConfigureAwait(false);
        if (entry.Enabled)
        {
            await StartWithPlanAsync(entry).ConfigureAwait(false);
            await RetryBlockedAsync().ConfigureAwait(false);
        }
        else
        {
            SetState(entry, PluginState.Disabled, null);
        }

        return Snapshot(entry);
    }, cancellationToken);

    /// <summary>Picks up plugin folders added since boot and starts the enabled ones.</summary>
    public async Task<IReadOnlyList<PluginInfo>> RescanAsync(CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            HashSet<string> known;
            Dictionary<string, string> owners;
            lock (_snapshot)
            {
                known = _entries.Values.Select(e => e.Descriptor.Folder).ToHashSet(StringComparer.Ordinal);
                owners = _entries.Values.ToDictionary(e => e.Id, e => e.Descriptor.Folder, StringComparer.Ordinal);
            }

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
            lock (_snapshot)
            {
                return added.Select(d => Snapshot(_entries[d.Key])).ToList();
            }
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
            List<PluginEntry> entries;
            lock (_snapshot)
            {
                entries = [.. _entries.Values];
            }

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
        }
        finally
        {
            _gate.Release();
        }
    }

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
            PluginEntry? entry;
            lock (_snapshot)
            {
                _entries.TryGetValue(id, out entry);
            }

            return await operation(entry ?? throw PluginOperationException.NotFound(id)).ConfigureAwait(false);
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
        var records = await ReadRecordsAsync().ConfigureAwait(false);
        foreach (var descriptor in descriptors)
        {
            LogDescriptor(descriptor);
            var entry = new PluginEntry(descriptor);
            lock (_snapshot)
            {
                _entries[entry.Id] = entry;
            }

            if (!entry.IsUsable)
            {
                SetState(entry, PluginState.Degraded, DescribeUnusable(descriptor));
                continue;
            }

            _contexts.Domains.Set(descriptor.Manifest!);
            await SyncRecordAsync(entry, records).ConfigureAwait(false);
            SetState(entry, entry.Enabled ? PluginState.Initializing : PluginState.Disabled, null);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Starts the given plugins wave by wave in dependency order; plugins of one wave start concurrently.</summary>
    private async Task StartInOrderAsync(IReadOnlySet<string> ids, CancellationToken cancellationToken)
    {
        List<PluginDescriptor> all;
        lock (_snapshot)
        {
            all = _entries.Values.Select(e => e.Descriptor).ToList();
        }

        var plan = DependencyPlan.Build(all);
        foreach (var (id, reason) in plan.Blocked.Where(b => ids.Contains(b.Key)))
        {
            var entry = Entry(id);
            if (entry.Enabled)
            {
                SetState(entry, PluginState.Blocked, reason);
                _logger.LogWarning("Plugin {Id}: {Reason}", id, reason);
            }
        }

        foreach (var level in plan.Levels)
        {
            var starting = level.Where(ids.Contains).Select(Entry).Where(e => e.Enabled && e.State == PluginState.Initializing).ToList();
            await Task.WhenAll(starting.Select(e => ActivateAsync(e, cancellationToken))).ConfigureAwait(false);
        }
    }

    private async Task StartWithPlanAsync(PluginEntry entry)
    {
        List<PluginDescriptor> all;
        lock (_snapshot)
        {
            all = _entries.Values.Select(e => e.Descriptor).ToList();
        }

        if (DependencyPlan.Build(all).Blocked.TryGetValue(entry.Id, out var reason))
        {
            SetState(entry, PluginState.Blocked, reason);
            EmitStateChanged(entry);
            return;
        }

        await ActivateAsync(entry, _stopping.Token).ConfigureAwait(false);
    }

    /// <summary>Loads (if needed), creates and sets up one plugin. Ends in active, blocked or failed; never throws for the
    /// plugin's faults.</summary>
    private async Task ActivateAsync(PluginEntry entry, CancellationToken cancellationToken)
    {
        var manifest = entry.Descriptor.Manifest!;
        if (!DependenciesActive(entry, out var blocked))
        {
            SetState(entry, PluginState.Blocked, blocked);
            _logger.LogWarning("Plugin {Id}: {Reason}", entry.Id, blocked);
            EmitStateChanged(entry);
            return;
        }

        SetState(entry, PluginState.Initializing, null);

        // Before any code loads (and again on every enable, reload and rescan): a replaced file is caught here.
        var verdict = await _trust.VerifyAsync(entry.Descriptor, cancellationToken).ConfigureAwait(false);
        entry.Trust = verdict.Trust;
        if (!verdict.Allowed)
        {
            _logger.LogWarning("PLUGIN_UNTRUSTED {Id}: {Reason}", entry.Id, verdict.Reason);
            _bus.Emit(Security.SecurityTopics.PluginRefused, EventPayload.Create(("plugin_id", entry.Id), ("reason", verdict.Reason)));
            await FailAsync(entry, "Refused before loading: " + verdict.Reason).ConfigureAwait(false);
            return;
        }

        ILyndrixModule module;
        try
        {
            if (_isolation?.ModeFor(entry.Descriptor) == IsolationSettings.Process)
            {
                // The same binary in a sandboxed child process: no plugin code loads into the host.
                var isolated = IsolatedModule.Start(entry.Descriptor, _isolation, _loggerFactory.CreateLogger(entry.Id), reason => _ = OnChildExitedAsync(entry, reason));
                entry.Isolated = isolated;
                module = isolated;
            }
            else
            {
                entry.Code ??= PluginCodeLoader.Load(entry.Descriptor, _policy);
                module = entry.Code.CreateModule();
            }
        }
        catch (PluginLoadException ex)
        {
            await FailAsync(entry, ex.Message).ConfigureAwait(false);
            return;
        }
        catch (TargetInvocationException ex)
        {
            await FailAsync(entry, $"The constructor of {entry.Code?.ModuleTypeName} threw {ex.InnerException?.GetType().Name}: {ex.InnerException?.Message}").ConfigureAwait(false);
            return;
        }

        var settingProblems = new List<string>();
        var settings = ModuleSettings.Resolve(manifest, _config, settingProblems);
        foreach (var overlay in _overlays)
        {
            // Host-side values for first-party modules (IAM hands LDAP/OIDC their LYNDRIX_LDAP_*/LYNDRIX_OIDC_* settings).
            settings = overlay.Apply(manifest, settings);
        }

        foreach (var problem in settingProblems)
        {
            _logger.LogWarning("Plugin {Id} setting: {Problem}", entry.Id, problem);
        }

        var context = _contexts.Create(manifest, settings);
        entry.Context = context;
        using var setupCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, context.Stopping);
        var setup = Task.Run(() => module.SetupAsync(context, setupCancellation.Token), CancellationToken.None);
        try
        {
            await setup.WaitAsync(_settings.SetupTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await setupCancellation.CancelAsync().ConfigureAwait(false);
            entry.StraySetup = setup;
            _ = setup.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            await FailAsync(entry,
                $"Setup did not finish within {_settings.SetupTimeout.TotalSeconds:0.###}s (LYNDRIX_PLUGIN_SETUP_TIMEOUT); the plugin was stopped and the host went on. " +
                "Setup must not block: start long-running work with CreateTask.").ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await CleanupAsync(entry).ConfigureAwait(false);
            SetState(entry, PluginState.Failed, "The host stopped during setup.");
            throw;
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Plugin {Id} setup threw", entry.Id);
            await FailAsync(entry, $"Setup threw {ex.GetType().Name}: {ex.Message}").ConfigureAwait(false);
            return;
        }

        entry.Module = module;
        entry.StraySetup = null;
        SetState(entry, PluginState.Active, null);
        _logger.LogInformation("Plugin {Id} {Version} active", entry.Id, manifest.Version);
        EmitStateChanged(entry);
    }

    private bool DependenciesActive(PluginEntry entry, out string reason)
    {
        foreach (var dependency in entry.Descriptor.Manifest!.Dependencies)
        {
            var range = entry.Descriptor.DependencyRanges[dependency.Id];
            PluginEntry? target;
            lock (_snapshot)
            {
                _entries.TryGetValue(dependency.Id, out target);
            }

            if (target is null || !target.IsUsable)
            {
                reason = $"Blocked: it needs {dependency.Id} {range}, which is {(target is null ? "not installed" : "unusable (" + target.State + ")")}.";
                return false;
            }

            if (!range.IsSatisfiedBy(target.Descriptor.Version!))
            {
                reason = $"Blocked: it needs {dependency.Id} {range}, but version {target.Descriptor.Manifest!.Version} is installed.";
                return false;
            }

            if (target.State != PluginState.Active)
            {
                reason = $"Blocked: it needs {dependency.Id}, which is {target.State}.";
                return false;
            }
        }

        reason = "";
        return true;
    }

    /// <summary>Starts blocked, enabled plugins whose dependencies have become active, until nothing changes.</summary>
    private async Task RetryBlockedAsync()
    {
        while (true)
        {
            List<PluginEntry> ready;
            lock (_snapshot)
            {
                ready = _entries.Values
                    .Where(e => e.State == PluginState.Blocked && e.Enabled && e.IsUsable)
                    .OrderBy(e => e.Id, StringComparer.Ordinal)
                    .ToList();
            }

            ready = ready.Where(e => DependenciesActive(e, out _)).ToList();
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
    private async Task StopAsync(PluginEntry entry, string state, string? reason, bool cascade = true)
    {
        if (entry.Module is { } module && entry.State == PluginState.Active)
        {
            using var timeout = new CancellationTokenSource(_settings.TeardownTimeout);
            try
            {
                await Task.Run(() => module.TeardownAsync(timeout.Token), CancellationToken.None).WaitAsync(_settings.TeardownTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _logger.LogWarning("Plugin {Id} teardown ran longer than {Timeout}s (LYNDRIX_PLUGIN_TEARDOWN_TIMEOUT); abandoned, cleanup goes on",
                    entry.Id, _settings.TeardownTimeout.TotalSeconds);
            }
            catch (Exception ex)
            {
                _logger.LogWarning("Plugin {Id} teardown threw {Type}: {Message}; cleanup goes on", entry.Id, ex.GetType().Name, ex.Message);
            }
        }

        var wasRunning = entry.State is PluginState.Active or PluginState.Initializing;
        await CleanupAsync(entry).ConfigureAwait(false);
        SetState(entry, state, reason);
        EmitStateChanged(entry);
        if (cascade && wasRunning)
        {
            List<PluginEntry> dependents;
            lock (_snapshot)
            {
                dependents = _entries.Values
                    .Where(e => e.State == PluginState.Active && e.IsUsable && e.Descriptor.Manifest!.Dependencies.Any(d => d.Id == entry.Id))
                    .ToList();
            }

            foreach (var dependent in dependents)
            {
                await StopAsync(dependent, PluginState.Blocked, $"Blocked: it needs {entry.Id}, which is {state}.").ConfigureAwait(false);
            }
        }
    }

    /// <summary>Removes what the module registered through its context: subscriptions, tasks, auth providers.</summary>
    private async Task CleanupAsync(PluginEntry entry)
    {
        entry.Context?.Close();
        var subscriptions = _bus.RemoveOwner(entry.Id);
        var stragglers = await _tasks.CancelOwnerAsync(entry.Id, _settings.TeardownTimeout).ConfigureAwait(false);
        var providers = _providers.RemoveOwner(entry.Id);
        entry.Context = null;
        entry.Module = null;
        if (entry.Isolated is { } isolated)
        {
            entry.Isolated = null;
            await isolated.DisposeAsync().ConfigureAwait(false);
        }

        if (subscriptions + providers + stragglers.Count > 0)
        {
            _logger.LogInformation("Plugin {Id}: removed {Subscriptions} subscription(s) and {Providers} auth provider(s); {Stragglers} task(s) ignored cancellation",
                entry.Id, subscriptions, providers, stragglers.Count);
        }
    }

    /// <summary>An isolated plugin's process ended on its own (crash, kill, memory limit): the plugin fails, the rest goes on.</summary>
    private async Task OnChildExitedAsync(PluginEntry entry, string reason)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (entry.Isolated is not null && entry.State is PluginState.Active or PluginState.Initializing)
            {
                await FailAsync(entry, reason).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task FailAsync(PluginEntry entry, string error)
    {
        await CleanupAsync(entry).ConfigureAwait(false);
        SetState(entry, PluginState.Failed, error);
        _logger.LogError("PLUGIN_FAILED {Id}: {Error}", entry.Id, error);
        _bus.Emit(CoreTopics.PluginSetupFailed, EventPayload.Create(("plugin_id", entry.Id), ("error", error)));
        EmitStateChanged(entry);
    }

    /// <summary>Disposes the plugin's loader and waits for its load context to be collected.</summary>
    private async Task<(bool Unloaded, string Detail)> ReleaseCodeAsync(PluginEntry entry)
    {
        var code = entry.Code;
        if (code is null)
        {
            return (true, _isolation is not null && entry.Descriptor.IsValid && _isolation.ModeFor(entry.Descriptor) == IsolationSettings.Process
                ? "The plugin runs in its own process, which has ended; none of its code was loaded into the host."
                : "No code was loaded.");
        }

        entry.Code = null;
        var context = code.Unload();
        var (collected, passes) = await LoadContextCollector.WaitAsync(context, _settings.UnloadTimeout, _stopping.Token).ConfigureAwait(false);
        if (collected)
        {
            _logger.LogInformation("Plugin {Id}: load context collected after {Passes} GC pass(es)", entry.Id, passes);
            return (true, $"The load context was collected after {passes} garbage collection pass(es).");
        }

        var roots = new List<string>();
        if (entry.StraySetup is { IsCompleted: false })
        {
            roots.Add("its timed-out setup is still running");
        }

        if (_bus.CountFor(entry.Id) > 0)
        {
            roots.Add("it still has event subscriptions");
        }

        roots.Add("a thread, timer or static cache (System.Text.Json, TypeDescriptor) outside the context may hold one of its types");
        var detail = $"The load context was still alive after {_settings.UnloadTimeout.TotalSeconds:0.###}s ({passes} GC passes; LYNDRIX_PLUGIN_UNLOAD_TIMEOUT): " +
                     $"something still references the plugin's code. Likely: {string.Join("; ", roots)}. The memory is freed once that reference goes; a host restart frees it for sure.";
        _logger.LogWarning("Plugin {Id} did not unload: {Detail}", entry.Id, detail);
        return (false, detail);
    }

    private async Task<Dictionary<string, PluginStateRecord>> ReadRecordsAsync()
    {
        try
        {
            var records = await _states.ListAsync(_stopping.Token).ConfigureAwait(false);
            return records.ToDictionary(r => r.ModuleId, StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning("Plugin states could not be read ({Message}); plugins start as their manifests say (auto_enable_on_install)", ex.Message);
            return new Dictionary<string, PluginStateRecord>(StringComparer.Ordinal);
        }
    }

    private async Task SyncRecordAsync(PluginEntry entry, Dictionary<string, PluginStateRecord> records)
    {
        var manifest = entry.Descriptor.Manifest!;
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
            await _states.SaveAsync(new PluginStateRecord(entry.Id, entry.Enabled, manifest.Version), _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning("The state of plugin {Id} could not be saved ({Message}); it is used for this run only", entry.Id, ex.Message);
        }
    }

    private async Task PersistAsync(PluginEntry entry, bool enabled)
    {
        try
        {
            await _states.SaveAsync(new PluginStateRecord(entry.Id, enabled, entry.Descriptor.Manifest!.Version), _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw PluginOperationException.Unavailable(
                $"The choice could not be saved, so nothing was changed: {ex.Message} Check the database (GET /api/health) and try again.");
        }

        entry.Enabled = enabled;
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

    private PluginEntry Entry(string id)
    {
        lock (_snapshot)
        {
            return _entries[id];
        }
    }

    private void SetState(PluginEntry entry, string state, string? reason)
    {
        lock (_snapshot)
        {
            entry.State = state;
            entry.Reason = reason;
        }
    }

    private void EmitStateChanged(PluginEntry entry) =>
        _bus.Emit(CoreTopics.PluginStateChanged, EventPayload.Create(("plugin_id", entry.Id), ("state", entry.State), ("is_active", entry.Enabled)));

    private PluginStartSummary Summary()
    {
        lock (_snapshot)
        {
            var states = _entries.Values.Select(e => e.State).ToList();
            return new PluginStartSummary(
                states.Count(s => s == PluginState.Active),
                states.Count(s => s == PluginState.Failed),
                states.Count(s => s is PluginState.Blocked or PluginState.Degraded),
                states.Count(s => s == PluginState.Disabled));
        }
    }

    private PluginInfo Snapshot(PluginEntry e)
    {
        var d = e.Descriptor;
        var m = d.Manifest;
        return new PluginInfo
        {
            Id = e.Id,
            Name = m?.Name,
            Version = m?.Version,
            State = e.State,
            Reason = e.Reason,
            Enabled = e.Enabled,
            Loaded = e.Code is not null,
            Origin = d.Origin == PluginOrigin.BuiltIn ? "builtin" : "plugins_dir",
            Trust = e.Trust,
            Isolation = _isolation is null || !e.Descriptor.IsValid ? IsolationSettings.InProcess : _isolation.ModeFor(e.Descriptor),
            ProcessId = e.Isolated?.ProcessId,
            Type = m is null ? null : (m.Type == ModuleType.Core ? "CORE" : "PLUGIN"),
            Folder = d.Folder,
            Author = m?.Author,
            Description = m?.Description,
            Dependencies = m?.Dependencies.Select(x => new PluginDependencyInfo(x.Id, x.Version)).ToList() ?? [],
            Subscribe = m?.Permissions.Subscribe ?? [],
            Emit = m?.Permissions.Emit ?? [],
            Errors = d.Errors,
            Warnings = d.Warnings,
        };
    }
}
