using System.Threading.Channels;
using Lyndrix.Core.Boot;
using Lyndrix.Core.Events;
using Lyndrix.Core.Secrets.Embedded;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Lyndrix.Core.Secrets.Lifecycle;

/// <summary>
/// The secret store's lifecycle, event for event as the original's Vault service, without its dead ends:
/// <c>system:started</c> → status → <c>vault:needs_init</c> / <c>vault:needs_unseal</c> (auto-init / auto-unseal with the
/// master key, which emit <c>vault:init_requested</c> / <c>vault:unseal_requested</c>) → open → <c>vault:opened</c> →
/// <c>vault:ready_for_data</c>. An unreachable backend is retried with exponential backoff under a maintenance lock that is
/// lifted on recovery; a watchdog notices a seal at run time; every wait has a timeout; when it cannot go on it says what
/// the operator must do (boot state and log). One worker runs every step, so an auto-unseal and a manual one never race.
/// </summary>
internal sealed class SecretLifecycle : IHostedService, IAsyncDisposable
{
    public const string Origin = "core:secrets";

    private readonly EventBus _bus;
    private readonly ISecretBackend _backend;
    private readonly VaultKeyFile _keyFile;
    private readonly SecretStoreSettings _settings;
    private readonly BootState _boot;
    private readonly TimeProvider _time;
    private readonly ILogger<SecretLifecycle> _logger;
    private readonly Channel<LifecycleCommand> _commands = Channel.CreateUnbounded<LifecycleCommand>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ResiliencePipeline _statusRetry;
    private readonly ResiliencePipeline _openRetry;
    private readonly List<IDisposable> _subscriptions = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();

    private MasterKeySource _masterKey = MasterKeySource.None;
    private volatile SecretStoreSnapshot _snapshot = SecretStoreSnapshot.Initial;
    private volatile SecretBackendStatus? _lastStatus;
    private volatile KeyMaterial? _pendingMaterial;
    private long _failureSequence;
    private int _unreachableAttempts;
    private int _watchQueued;
    private int _disposed;
    private volatile bool _opened;
    private volatile bool _initializedElsewhere;
    private Task _worker = Task.CompletedTask;
    private Task _watchdog = Task.CompletedTask;

    public SecretLifecycle(EventBus bus, ISecretBackend backend, VaultKeyFile keyFile, SecretStoreSettings settings, BootState boot,
        TimeProvider time, ILogger<SecretLifecycle> logger)
    {
        _bus = bus;
        _backend = backend;
        _keyFile = keyFile;
        _settings = settings;
        _boot = boot;
        _time = time;
        _logger = logger;
        _statusRetry = UnreachableRetry(settings, time);
        _openRetry = UnreachableRetry(settings, time);
    }

    // Retries what fails with SecretBackendUnreachableException with exponential backoff, forever (until the host stops),
    // announcing each failure: an outage, or a cluster electing its leader after an unseal.
    private ResiliencePipeline UnreachableRetry(SecretStoreSettings settings, TimeProvider time) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<SecretBackendUnreachableException>(),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.RetryDelay,
                MaxDelay = settings.RetryMaxDelay,
                MaxRetryAttempts = int.MaxValue,
                OnRetry = args =>
                {
                    OnUnreachable(args.Outcome.Exception);
                    return default;
                },
            })
            .Build();

    public string BackendKind => _backend.Kind;

    public SecretStoreSnapshot Snapshot => _snapshot;

    public MasterKeyOrigin MasterKeyOrigin => _masterKey.Origin;

    /// <summary>Whether the master key decrypts <c>vault_keys.enc</c> (for the doctor): null when there is no master key or no
    /// key file, false when the key is wrong or the file altered or unreadable.</summary>
    public async Task<bool?> CheckMasterKeyAsync(CancellationToken cancellationToken)
    {
        if (_masterKey.Key is not { } key || !_keyFile.Exists)
        {
            return null;
        }

        try
        {
            _ = await _keyFile.ReadAsync(key, cancellationToken, allowWeakKey: true).ConfigureAwait(false);
            return true;
        }
        catch (KeyFileException)
        {
            return false;
        }
    }

    /// <summary>True when the backend was initialized but its key file could not be written yet (a new init request retries the write).</summary>
    public bool HasPendingInitialization => _pendingMaterial is not null;

    /// <exception cref="SecretStoreIntegrityException">The embedded store's files do not belong together: the host must not start.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before anything can create a store: a lost store or key file, or a rolled-back store, stops the start here.
        (_backend as EmbeddedSecretBackend)?.VerifyIntegrity();
        _masterKey = await MasterKeySource.ResolveAsync(_settings, _backend.Kind == EmbeddedSecretBackend.BackendKind, _logger, cancellationToken)
            .ConfigureAwait(false);
        _subscriptions.Add(_bus.Subscribe(CoreTopics.SystemStarted, Origin, _ => Post(new LifecycleCommand.Check("system:started"))));
        _subscriptions.Add(_bus.Subscribe(CoreTopics.VaultInitRequested, Origin, ev => OnRequestEvent(ev, init: true)));
        _subscriptions.Add(_bus.Subscribe(CoreTopics.VaultUnsealRequested, Origin, ev => OnRequestEvent(ev, init: false)));
        _worker = Task.Run(() => RunWorkerAsync(_stop.Token), CancellationToken.None);
        _watchdog = Task.Run(() => RunWatchdogAsync(_stop.Token), CancellationToken.None);
        _logger.LogInformation("Secret store: {Backend} backend, key file {KeyFile}, master key {Origin}",
            _backend.Kind, _keyFile.Path, _masterKey.Origin switch
            {
                MasterKeyOrigin.Environment => "from LYNDRIX_MASTER_KEY",
                MasterKeyOrigin.DevelopmentFile => $"from {_masterKey.Path} (development only)",
                _ => "not set (init and unseal wait for an operator)",
            });
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var s in _subscriptions)
        {
            s.Dispose();
        }

        _subscriptions.Clear();
        _commands.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_worker, _watchdog).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Registered both as itself and as a hosted service, so the container may dispose it twice.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>Queues an initialization with an operator's key (HTTP, CLI). The outcome is announced by events and in
    /// <see cref="Snapshot"/>.</summary>
    public void RequestInit(string key, string origin) => Post(new LifecycleCommand.Init(key, origin));

    /// <summary>Queues an unseal with an operator's key.</summary>
    public void RequestUnseal(string key, string origin) => Post(new LifecycleCommand.Unseal(key, origin));

    /// <summary>Asks the backend for its state, bounded by the operation timeout (for the HTTP API; no retries).</summary>
    public Task<SecretBackendStatus> ProbeAsync(CancellationToken cancellationToken) =>
        WithTimeoutAsync("status", _backend.GetStatusAsync, cancellationToken);

    private void Post(LifecycleCommand command)
    {
        if (!_commands.Writer.TryWrite(command))
        {
            _logger.LogDebug("Secret store: {Command} ignored, the lifecycle is stopping", command);
        }
    }

    private void OnRequestEvent(LyndrixEvent ev, bool init)
    {
        // Requests the lifecycle announces itself carry no key (a key in an event would reach every subscriber);
        // only requests from elsewhere (a UI module) carry one.
        if (ev.Payload.GetString("key") is not { } key)
        {
            return;
        }

        Post(init ? new LifecycleCommand.Init(key, "event") : new LifecycleCommand.Unseal(key, "event"));
    }

    private async Task RunWorkerAsync(CancellationToken stop)
    {
        try
        {
            await foreach (var command in _commands.Reader.ReadAllAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    switch (command)
                    {
                        case LifecycleCommand.Check check:
                            await CheckAsync(check.Why, stop).ConfigureAwait(false);
                            break;
                        case LifecycleCommand.Watch:
                            Interlocked.Exchange(ref _watchQueued, 0);
                            await WatchAsync(stop).ConfigureAwait(false);
                            break;
                        case LifecycleCommand.Init init:
                            await InitAsync(init.Key, init.Origin, stop).ConfigureAwait(false);
                            break;
                        case LifecycleCommand.Unseal unseal:
                            await UnsealAsync(unseal.Key, unseal.Origin, stop).ConfigureAwait(false);
                            break;
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (SecretStoreIntegrityException ex)
                {
                    OnIntegrityFailure(ex);
                }
                catch (Exception ex)
                {
                    _logger.LogError(ex, "Secret store: {Command} failed unexpectedly: {Message}", command, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task RunWatchdogAsync(CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(_settings.WatchdogInterval, _time, stop).ConfigureAwait(false);
                if (_lastStatus is not null && Interlocked.Exchange(ref _watchQueued, 1) == 0)
                {
                    Post(new LifecycleCommand.Watch());
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    // ---- status ------------------------------------------------------------------------------------------------

    private async Task CheckAsync(string why, CancellationToken stop)
    {
        _logger.LogDebug("Secret store: checking status ({Why})", why);
        var status = await _statusRetry.ExecuteAsync(
            async ct => await WithTimeoutAsync("status", _backend.GetStatusAsync, ct).ConfigureAwait(false), stop).ConfigureAwait(false);
        Reachable();
        await ApplyStatusAsync(status, stop).ConfigureAwait(false);
    }

    /// <summary>The watchdog: notices a seal, an outage, or a change made behind the host's back (an operator unsealing Vault
    /// by hand), and re-runs the matching step. It stays quiet while nothing changes.</summary>
    private async Task WatchAsync(CancellationToken stop)
    {
        SecretBackendStatus status;
        try
        {
            status = await WithTimeoutAsync("status", _backend.GetStatusAsync, stop).ConfigureAwait(false);
        }
        catch (SecretBackendUnreachableException)
        {
            // The retry loop announces the outage (connection_failed, maintenance) and resumes from what it finds.
            await CheckAsync("watchdog: backend unreachable", stop).ConfigureAwait(false);
            return;
        }

        var previous = _lastStatus;
        if (_opened && status.Sealed)
        {
            _logger.LogWarning("Secret store: the {Backend} backend was sealed while running; secrets are unavailable until it is unsealed", _backend.Kind);
            _opened = false;
            SetSnapshot(s => s with { Connected = false });
            SetMaintenance("sealed");
            await ApplyStatusAsync(status, stop).ConfigureAwait(false);
        }
        else if (!_opened && previous is not null && (previous.Initialized != status.Initialized || previous.Sealed != status.Sealed
                     || (_initializedElsewhere && status.Sealed && _keyFile.Exists)))
        {
            _logger.LogInformation("Secret store: the backend changed from {Before} to {After} outside the host; continuing from there",
                Describe(previous), Describe(status));
            await ApplyStatusAsync(status, stop).ConfigureAwait(false);
        }
        else
        {
            _lastStatus = status;
        }
    }

    private async Task ApplyStatusAsync(SecretBackendStatus status, CancellationToken stop)
    {
        _lastStatus = status;
        if (!status.Initialized)
        {
            SetSnapshot(s => s with { UiState = SecretStoreUiState.NeedsInit, Connected = false });
            _bus.Emit(CoreTopics.VaultNeedsInit);
            if (_masterKey.Key is { } key)
            {
                await InitAsync(key, "auto", stop).ConfigureAwait(false);
            }
            else
            {
                Waiting(
                    $"The {_backend.Kind} secret store is not initialized and no master key is configured. Set LYNDRIX_MASTER_KEY " +
                    $"({MasterKeyPolicy.Rules}) and restart, or initialize it now: POST /api/vault/init {{\"key\": ...}} or " +
                    "'lyndrix vault init' (reads the key from LYNDRIX_MASTER_KEY or stdin).");
            }
        }
        else if (status.Sealed)
        {
            SetSnapshot(s => s with { UiState = SecretStoreUiState.NeedsUnseal, Connected = false });
            _bus.Emit(CoreTopics.VaultNeedsUnseal);
            if (_pendingMaterial is not null && _masterKey.Key is { } pendingKey)
            {
                // Our own init whose key file could not be written yet: retry the write, not an unseal from a file that is not there.
                await InitAsync(pendingKey, "auto", stop).ConfigureAwait(false);
            }
            else if (_initializedElsewhere && !_keyFile.Exists)
            {
                WaitForInitializingPeer();
            }
            else if (_masterKey.Key is { } key)
            {
                _initializedElsewhere = false;
                await UnsealAsync(key, "auto", stop).ConfigureAwait(false);
            }
            else
            {
                Waiting(
                    $"The {_backend.Kind} secret store is sealed and no master key is configured. Set LYNDRIX_MASTER_KEY and restart, " +
                    "or unseal it now: POST /api/vault/unseal {\"key\": ...} or 'lyndrix vault unseal'.");
            }
        }
        else if (_opened)
        {
            // Back from an outage with the store still open: nothing to redo, no second vault:opened.
            SetSnapshot(s => s with { UiState = SecretStoreUiState.Ready, Connected = true });
            _boot.Report("vault", $"{_backend.Kind} secret store open");
        }
        else
        {
            await OpenAsync(await TryRestoreMaterialAsync(stop).ConfigureAwait(false), stop).ConfigureAwait(false);
        }
    }

    // ---- init ------------------------------------------------------------------------------------------------

    private async Task InitAsync(string key, string origin, CancellationToken stop)
    {
        if (origin != "event")
        {
            _bus.Emit(CoreTopics.VaultInitRequested, EventPayload.Create(("source", origin)));
        }

        if (MasterKeyPolicy.Check(key) is { } weak)
        {
            InitFailed("weak_key", weak + (origin == "auto" ? " Change LYNDRIX_MASTER_KEY and restart." : ""));
            return;
        }

        SecretBackendStatus status;
        try
        {
            status = await WithTimeoutAsync("status", _backend.GetStatusAsync, stop).ConfigureAwait(false);
        }
        catch (SecretBackendUnreachableException ex)
        {
            InitFailed("unreachable", $"The {_backend.Kind} backend cannot be reached ({ex.Message}); nothing was initialized. The host keeps retrying.");
            Post(new LifecycleCommand.Check("init: backend unreachable"));
            return;
        }

        KeyMaterial material;
        if (status.Initialized)
        {
            if (_pendingMaterial is null || _keyFile.Exists)
            {
                InitFailed("already_initialized", $"The {_backend.Kind} secret store is already initialized; unseal it instead (POST /api/vault/unseal).");
                return;
            }

            // A previous init succeeded at the backend but its key file could not be written: write it now.
            material = _pendingMaterial;
            _logger.LogWarning("Secret store: retrying to write the key file of the earlier initialization");
        }
        else
        {
            try
            {
                // Init cannot be undone: make sure the key file can be stored before asking for keys.
                _keyFile.EnsureWritable();
            }
            catch (KeyFileException ex)
            {
                if (_keyFile.Exists && await IsInitializedNowAsync(stop).ConfigureAwait(false))
                {
                    // Another host sharing SECURITY_DIR initialized between our status check and now, and wrote its key file.
                    InitializedElsewhere();
                    Post(new LifecycleCommand.Check("init: initialized by another host"));
                    return;
                }

                InitFailed(ex.Reason, ex.Message);
                return;
            }

            try
            {
                material = await WithTimeoutAsync("initialize", _backend.InitializeAsync, stop).ConfigureAwait(false);
            }
            catch (SecretBackendAlreadyInitializedException)
            {
                // Several hosts found the store uninitialized and raced; the backend let exactly one win. Never write a key
                // file for someone else's initialization: wait for the winner's (shared SECURITY_DIR) or its unseal.
                InitializedElsewhere();
                Post(new LifecycleCommand.Check("init: initialized by another host"));
                return;
            }
            catch (SecretBackendUnreachableException ex)
            {
                InitFailed("unreachable", $"The {_backend.Kind} backend did not complete the initialization: {ex.Message}");
                Post(new LifecycleCommand.Check("init: backend unreachable"));
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                InitFailed("init_failed", $"The {_backend.Kind} backend refused to initialize: {ex.Message}");
                return;
            }
        }

        try
        {
            await _keyFile.CreateAsync(material, key, stop).ConfigureAwait(false);
        }
        catch (KeyFileException ex)
        {
            // The backend is initialized (Vault) but its keys are only in memory: keep them for a retry, depend on nothing.
            // The embedded store's pending store is worthless without its key: remove it.
            (_backend as EmbeddedSecretBackend)?.AbandonInitialization();
            _pendingMaterial = _backend.Kind == EmbeddedSecretBackend.BackendKind ? null : material;
            InitFailed(ex.Reason, ex.Message + (_pendingMaterial is null
                ? " Nothing was initialized."
                : " The new keys are held in memory only: fix the problem and request the init again (POST /api/vault/init) before the host stops."));
            return;
        }

        _pendingMaterial = null;
        _logger.LogInformation("Secret store: initialized; key file written to {KeyFile}. Back it up together with the store's data", _keyFile.Path);
        await UnsealWithMaterialAsync(material, stop).ConfigureAwait(false);
    }

    private async Task<bool> IsInitializedNowAsync(CancellationToken stop)
    {
        try
        {
            return (await WithTimeoutAsync("status", _backend.GetStatusAsync, stop).ConfigureAwait(false)).Initialized;
        }
        catch (SecretBackendUnreachableException)
        {
            return false;
        }
    }

    private void InitializedElsewhere()
    {
        _initializedElsewhere = true;
        _logger.LogInformation("Secret store: another host initialized the {Backend} store first; this host uses its key file (shared SECURITY_DIR) " +
                               "or waits for it to unseal", _backend.Kind);
    }

    private void WaitForInitializingPeer() => Waiting(
        $"Another host initialized the {_backend.Kind} secret store, and its key file is not in this host's SECURITY_DIR ({_keyFile.Path}). " +
        "This host opens the store as soon as that host has unsealed it, with VAULT_TOKEN or AppRole (or the root token, once the key file " +
        "appears here). Hosts that share SECURITY_DIR need nothing more; otherwise copy vault_keys.enc to each host or give each a token.");

    // ---- unseal ------------------------------------------------------------------------------------------------

    private async Task UnsealAsync(string key, string origin, CancellationToken stop)
    {
        if (origin != "event")
        {
            _bus.Emit(CoreTopics.VaultUnsealRequested, EventPayload.Create(("source", origin)));
        }

        if (MasterKeyPolicy.Check(key) is { } weak)
        {
            UnsealFailed("weak_key", weak);
            return;
        }

        if (!_keyFile.Exists)
        {
            UnsealFailed("key_file_missing",
                $"There is no key file at {_keyFile.Path}, so the master key has nothing to decrypt. Restore vault_keys.enc from the backup " +
                "taken with the store's data" + (_backend.Kind == EmbeddedSecretBackend.BackendKind
                    ? "."
                    : ", or unseal Vault yourself ('vault operator unseal') and give the host a token (VAULT_TOKEN or AppRole)."));
            return;
        }

        KeyMaterial material;
        try
        {
            material = await _keyFile.ReadAsync(key, stop).ConfigureAwait(false);
        }
        catch (KeyFileException ex)
        {
            UnsealFailed(ex.Reason, ex.Message);
            return;
        }

        if (_opened)
        {
            _logger.LogInformation("Secret store: unseal requested ({Origin}), but the store is already unsealed and open", origin);
            return;
        }

        await UnsealWithMaterialAsync(material, stop).ConfigureAwait(false);
    }

    private async Task UnsealWithMaterialAsync(KeyMaterial material, CancellationToken stop)
    {
        SecretBackendStatus status;
        try
        {
            status = await WithTimeoutAsync("unseal", ct => _backend.UnsealAsync(material, ct), stop).ConfigureAwait(false);
        }
        catch (SecretBackendUnreachableException ex)
        {
            UnsealFailed("unreachable", $"The {_backend.Kind} backend cannot be reached ({ex.Message}); the host keeps retrying.");
            Post(new LifecycleCommand.Check("unseal: backend unreachable"));
            return;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            UnsealFailed("unseal_rejected", $"The {_backend.Kind} backend refused the unseal: {ex.Message}");
            return;
        }

        _lastStatus = status;
        if (status.Sealed)
        {
            UnsealFailed("unseal_incomplete",
                $"The {_backend.Kind} backend is still sealed after all {material.UnsealKeys.Count} unseal key(s) of the key file were submitted: " +
                "its threshold needs more keys than the file holds. Submit the remaining keys with 'vault operator unseal'.");
            return;
        }

        await OpenAsync(material, stop).ConfigureAwait(false);
    }

    // ---- open ------------------------------------------------------------------------------------------------

    private async Task<KeyMaterial?> TryRestoreMaterialAsync(CancellationToken stop)
    {
        if (_masterKey.Key is not { } key || !_keyFile.Exists)
        {
            return null;
        }

        try
        {
            return await _keyFile.ReadAsync(key, stop).ConfigureAwait(false);
        }
        catch (KeyFileException ex)
        {
            _logger.LogWarning("Secret store: the stored token could not be restored ({Reason}): {Message}", ex.Reason, ex.Message);
            return null;
        }
    }

    private async Task OpenAsync(KeyMaterial? material, CancellationToken stop)
    {
        try
        {
            // A store that answers its status but not a logical request (a Vault cluster electing its leader for a few seconds
            // after an unseal, a node restarting) is retried here, with backoff and the material already in hand: going back
            // to the status check would find "unsealed" at once and re-open in a tight loop, decrypting the key file and
            // toggling maintenance each pass.
            await _openRetry.ExecuteAsync(async ct => await WithTimeoutAsync("open", async inner =>
            {
                await _backend.OpenAsync(material, inner).ConfigureAwait(false);
                return true;
            }, ct).ConfigureAwait(false), stop).ConfigureAwait(false);
        }
        catch (SecretBackendAuthException ex)
        {
            var message = material is null
                ? $"The {_backend.Kind} secret store is unsealed, but the host has no usable token: {ex.Message} Give it one of: " +
                  "LYNDRIX_MASTER_KEY (restores the root token from vault_keys.enc), VAULT_TOKEN, or VAULT_ROLE_ID + VAULT_SECRET_ID " +
                  "(AppRole); then restart."
                : $"The token cannot use the secret store: {ex.Message}";
            Fail(CoreTopics.VaultAuthFailed, material is null ? "no_credentials" : "token_rejected", message);
            return;
        }
        catch (SecretBackendSealedException)
        {
            Post(new LifecycleCommand.Check("open: sealed meanwhile"));
            return;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            Fail(CoreTopics.VaultAuthFailed, "open_failed", $"The {_backend.Kind} secret store could not be opened: {ex.Message}");
            return;
        }

        Reachable();
        _opened = true;
        SetSnapshot(s => s with { UiState = SecretStoreUiState.Ready, Connected = true });
        SetMaintenance(null);
        _boot.Report("vault", $"{_backend.Kind} secret store open");
        _logger.LogInformation("Secret store: {Backend} backend open, mount ready", _backend.Kind);
        _bus.Emit(CoreTopics.VaultOpened, EventPayload.Create(("backend", _backend.Kind)));
        _bus.Emit(CoreTopics.VaultReadyForData, EventPayload.Create(("backend", _backend.Kind)));
    }

    // ---- outcomes ------------------------------------------------------------------------------------------------

    private void OnUnreachable(Exception? ex)
    {
        var attempt = Interlocked.Increment(ref _unreachableAttempts);
        var message = ex?.Message ?? "no answer";
        if (attempt == 1)
        {
            _logger.LogWarning("Secret store: the {Backend} backend is unreachable ({Message}); retrying with backoff under maintenance mode",
                _backend.Kind, message);
        }
        else
        {
            _logger.LogWarning("Secret store: still unreachable (attempt {Attempt}): {Message}", attempt, message);
        }

        SetSnapshot(s => s with { UiState = SecretStoreUiState.Error, Connected = false });
        SetMaintenance("unreachable");
        _boot.Report("vault", $"The {_backend.Kind} backend cannot be reached ({message}); retrying with backoff (attempt {attempt}). " +
                              "Check VAULT_URL and that the server is running.");
        _bus.Emit(CoreTopics.VaultConnectionFailed, EventPayload.Create(("reason", "unreachable"), ("attempt", attempt), ("message", message)));
    }

    /// <summary>The store's files stopped belonging together while running (a store deleted or swapped under the host): stop
    /// serving secrets rather than serve an old or empty store, and say what to restore.</summary>
    private void OnIntegrityFailure(SecretStoreIntegrityException ex)
    {
        (_backend as EmbeddedSecretBackend)?.Seal();
        _opened = false;
        SetSnapshot(s => s with { UiState = SecretStoreUiState.Error, Connected = false });
        SetMaintenance("store_integrity");
        Fail(CoreTopics.VaultConnectionFailed, "store_integrity", ex.Message);
    }

    private void Reachable()
    {
        if (Interlocked.Exchange(ref _unreachableAttempts, 0) > 0)
        {
            _logger.LogInformation("Secret store: the {Backend} backend is reachable again", _backend.Kind);
            if (_snapshot.MaintenanceReason == "unreachable")
            {
                SetMaintenance(null);
            }
        }
    }

    private void SetMaintenance(string? reason)
    {
        string? previous;
        lock (_gate)
        {
            previous = _snapshot.MaintenanceReason;
            if (previous == reason)
            {
                return;
            }

            _snapshot = _snapshot with { MaintenanceReason = reason };
        }

        _bus.Emit(CoreTopics.SystemMaintenanceMode, reason is null
            ? EventPayload.Create(("service", "vault"), ("active", false))
            : EventPayload.Create(("service", "vault"), ("active", true), ("reason", reason)));
    }

    private void Waiting(string what)
    {
        _boot.Report("vault", what);
        _logger.LogWarning("Secret store: {What}", what);
    }

    private void InitFailed(string reason, string message) => Fail(CoreTopics.VaultInitFailed, reason, message);

    private void UnsealFailed(string reason, string message) => Fail(CoreTopics.VaultUnsealFailed, reason, message);

    private void Fail(string topic, string reason, string message)
    {
        if (topic == CoreTopics.VaultAuthFailed)
        {
            _opened = false;
        }

        var failure = new SecretStoreFailure(topic, reason, message, Interlocked.Increment(ref _failureSequence), _time.GetUtcNow());
        SetSnapshot(s => s with
        {
            LastFailure = failure,
            UiState = topic == CoreTopics.VaultAuthFailed ? SecretStoreUiState.Error : s.UiState,
            Connected = topic == CoreTopics.VaultAuthFailed ? false : s.Connected,
        });
        _boot.Report("vault", $"{topic} ({reason}): {message}");
        _logger.LogError("Secret store: {Topic} ({Reason}): {Message}", topic, reason, message);
        _bus.Emit(topic, EventPayload.Create(("reason", reason), ("message", message)));
    }

    private void SetSnapshot(Func<SecretStoreSnapshot, SecretStoreSnapshot> change)
    {
        lock (_gate)
        {
            _snapshot = change(_snapshot);
        }
    }

    private async Task<T> WithTimeoutAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_settings.OperationTimeout);
        try
        {
            return await call(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SecretBackendUnreachableException(
                $"the {_backend.Kind} backend did not answer '{operation}' within {_settings.OperationTimeout.TotalSeconds:0.###} s", ex);
        }
    }

    private static string Describe(SecretBackendStatus s) => !s.Initialized ? "uninitialized" : s.Sealed ? "sealed" : "unsealed";
}
