using System.Threading.Channels;
using Dapper;
using Lyndrix.Core.Boot;
using Lyndrix.Core.Events;
using Lyndrix.Core.Secrets;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Lyndrix.Core.Data;

/// <summary>
/// Connects the database after <c>vault:opened</c>, keeps it connected, and tells the platform about it.
/// <list type="bullet">
/// <item>Each attempt opens a pooled connection (validated on checkout, see <see cref="MariaDbConnectionSource"/>) and runs <c>SELECT 1</c>.</item>
/// <item>Failures are classified by error code. Permanent ones (access denied, unknown database, unknown host, TLS) are not
/// retried: <c>system:maintenance_mode {service:"db", active:true, reason:"config_error", message}</c>. A later
/// <c>vault:opened</c> (the password may have changed in the secret store) tries again.</item>
/// <item>Transient ones are retried by Polly with exponential backoff and jitter (<c>DB_MAX_RETRIES</c>, <c>DB_RETRY_BASE_DELAY</c>,
/// <c>DB_RETRY_MAX_DELAY</c>); then <c>reason:"max_retries"</c>, and the supervisor keeps trying every <c>DB_RECOVERY_INTERVAL</c>
/// (unlike the original, which gave up until a restart).</item>
/// <item>On success: core migrations (once per process, never again on a reconnect), maintenance cleared,
/// <c>db:connected {status:"ready", dialect, reconnect}</c>. <c>reconnect</c> is true after a loss, so consumers can skip one-time work.</item>
/// <item>A watchdog probes every <c>DB_WATCHDOG_INTERVAL</c>; after two failed probes (the second on a fresh pool) it emits
/// <c>db:disconnected {reason, message}</c> and reconnects as above.</item>
/// </list>
/// Every log line and message goes through <see cref="DatabaseCredentialRedactor"/>; exceptions are never logged raw.
/// </summary>
internal sealed class DatabaseSupervisor : IHostedService, IAsyncDisposable
{
    private const string Step = "database";

    private static readonly TimeSpan SecretReadTimeout = TimeSpan.FromSeconds(10);

    private readonly EventBus _bus;
    private readonly BootState _boot;
    private readonly IDatabaseConnectionSource _source;
    private readonly ISchemaMigrator _migrator;
    private readonly DatabaseSettings _settings;
    private readonly DatabaseCredentialRedactor _redactor;
    private readonly DatabaseStatus _status;
    private readonly TimeProvider _time;
    private readonly ILogger<DatabaseSupervisor> _logger;
    private readonly IModuleSecretScopeFactory? _secrets;
    private readonly ResiliencePipeline _retry;
    private readonly Channel<bool> _triggers = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stopping = new();
    private IDisposable? _subscription;
    private Task _loop = Task.CompletedTask;
    private string? _password;
    private bool _schemaReady;
    private bool _everConnected;
    private int _attempt;

    private enum Outcome
    {
        Connected,
        Retry,
        Stuck,
    }

    public DatabaseSupervisor(
        EventBus bus,
        BootState boot,
        IDatabaseConnectionSource source,
        ISchemaMigrator migrator,
        DatabaseSettings settings,
        DatabaseCredentialRedactor redactor,
        DatabaseStatus status,
        TimeProvider time,
        ILogger<DatabaseSupervisor> logger,
        IModuleSecretScopeFactory? secrets = null)
    {
        _bus = bus;
        _boot = boot;
        _source = source;
        _migrator = migrator;
        _settings = settings;
        _redactor = redactor;
        _status = status;
        _time = time;
        _logger = logger;
        _secrets = secrets;
        _redactor.AddSecret(settings.Password);

        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (settings.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<DatabaseConnectException>(e => !e.Failure.IsPermanent),
                MaxRetryAttempts = settings.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.RetryBaseDelay,
                MaxDelay = settings.RetryMaxDelay,
                OnRetry = args =>
                {
                    _logger.LogInformation("Database: retry {Retry} of {MaxRetries} in {Delay:0.###}s", args.AttemptNumber + 1, settings.MaxRetries,
                        args.RetryDelay.TotalSeconds);
                    return default;
                },
            });
        }

        _retry = builder.Build();
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // No BootState report yet: the boot sequence defines its steps after hosted services start, and the database step
        // is only reached once vault:opened has fired anyway.
        _status.Set(DatabaseState.WaitingForSecrets, $"waiting for the secret store ({CoreTopics.VaultOpened}) before connecting to {_source.Description}");
        _subscription = _bus.Subscribe(CoreTopics.VaultOpened, EventBus.CoreOwner, _ => _triggers.Writer.TryWrite(true));
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        _subscription?.Dispose();
        _stopping.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await _triggers.Reader.ReadAsync(ct).ConfigureAwait(false);
            while (true)
            {
                // Triggers that arrived while connected are stale: this cycle reads the password afresh anyway.
                while (_triggers.Reader.TryRead(out _))
                {
                }

                switch (await ConnectAsync(ct).ConfigureAwait(false))
                {
                    case Outcome.Connected:
                        await WatchAsync(ct).ConfigureAwait(false);
                        break;
                    case Outcome.Retry:
                        // Connected but could not finish (e.g. the migrations hit a lock timeout): pause so this cannot spin.
                        await Task.Delay(_settings.RetryMaxDelay, _time, ct).ConfigureAwait(false);
                        break;
                    case Outcome.Stuck:
                        await _triggers.Reader.ReadAsync(ct).ConfigureAwait(false);
                        _logger.LogInformation("Database: the secret store opened again; retrying with the current configuration");
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            var message = $"Database supervision stopped unexpectedly: {_redactor.Describe(ex)}. Restart the host.";
            _logger.LogCritical("{Message}", message);
            _status.Set(DatabaseState.ConfigError, message);
            Maintenance(true, "supervisor_failed", message);
        }
    }

    private async Task<Outcome> ConnectAsync(CancellationToken ct)
    {
        _status.Set(DatabaseState.Connecting);
        _password = await ResolvePasswordAsync(ct).ConfigureAwait(false);
        _boot.Report(Step, $"connecting to {_source.Description}");
        _logger.LogInformation("Database: connecting to {Target}", _source.Description);
        try
        {
            await _retry.ExecuteAsync(async token => await AttemptAsync(token).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
        catch (DatabaseConnectException ex) when (ex.Failure.IsPermanent)
        {
            EnterConfigError(ex.Failure);
            return Outcome.Stuck;
        }
        catch (DatabaseConnectException ex)
        {
            var message = _redactor.Redact(
                $"The database is unreachable after {_settings.MaxRetries + 1} attempt(s): {ex.Failure.Message} " +
                $"The host keeps trying every {_settings.RecoveryInterval.TotalSeconds:0.###}s (DB_RECOVERY_INTERVAL).");
            _status.Set(DatabaseState.Recovering, message);
            _logger.LogError("Database: {Message}", message);
            _boot.Report(Step, message);
            Maintenance(true, "max_retries", message);
            if (await RecoverSlowlyAsync(ct).ConfigureAwait(false) is { } permanent)
            {
                EnterConfigError(permanent);
                return Outcome.Stuck;
            }
        }

        return await BecomeReadyAsync(ct).ConfigureAwait(false);
    }

    /// <returns>Null once connected; the failure when it turned permanent.</returns>
    private async Task<DatabaseFailure?> RecoverSlowlyAsync(CancellationToken ct)
    {
        while (true)
        {
            await Task.Delay(_settings.RecoveryInterval, _time, ct).ConfigureAwait(false);
            try
            {
                await AttemptAsync(ct).ConfigureAwait(false);
                _logger.LogInformation("Database: reachable again");
                return null;
            }
            catch (DatabaseConnectException ex) when (ex.Failure.IsPermanent)
            {
                return ex.Failure;
            }
            catch (DatabaseConnectException)
            {
                // Logged by the attempt; try again after the next interval.
            }
        }
    }

    private async Task<Outcome> BecomeReadyAsync(CancellationToken ct)
    {
        if (!_schemaReady)
        {
            _boot.Report(Step, "applying schema migrations");
            try
            {
                var applied = await _migrator.MigrateAsync(DatabaseModule.CoreSchemaOwner, CoreSchema.Migrations, ct).ConfigureAwait(false);
                _schemaReady = true;
                _logger.LogInformation("Database: schema ready ({Applied} migration(s) applied now)", applied.Count);
            }
            catch (MigrationFailedException ex)
            {
                var message = _redactor.Redact(ex.Message);
                _status.Set(DatabaseState.MigrationFailed, message);
                _boot.Report(Step, message);
                Maintenance(true, "migration_failed", message);
                return Outcome.Stuck;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && ex is not ArgumentException)
            {
                var failure = await _source.ClassifyAsync(ex, ct).ConfigureAwait(false);
                _logger.LogWarning("Database: migrations could not run [{Reason}]: {Message} ({Error})", failure.Reason,
                    _redactor.Redact(failure.Message), _redactor.Describe(ex));
                if (failure.IsPermanent)
                {
                    EnterConfigError(failure);
                    return Outcome.Stuck;
                }

                return Outcome.Retry;
            }
        }

        _status.Set(DatabaseState.Connected);
        Maintenance(false, null, null);
        var reconnect = _everConnected;
        _everConnected = true;
        _boot.Report(Step, $"connected to {_source.Description}");
        _logger.LogInformation("Database: {What} {Target}", reconnect ? "reconnected to" : "connected to", _source.Description);
        _bus.Emit(CoreTopics.DbConnected, EventPayload.Create(("status", "ready"), ("dialect", _source.Dialect.Name), ("reconnect", reconnect)));
        return Outcome.Connected;
    }

    private async Task WatchAsync(CancellationToken ct)
    {
        while (true)
        {
            await Task.Delay(_settings.WatchdogInterval, _time, ct).ConfigureAwait(false);
            try
            {
                await AttemptAsync(ct, quiet: true).ConfigureAwait(false);
                continue;
            }
            catch (DatabaseConnectException)
            {
                // One failure may be a stale pooled session or a blip: try once more on a fresh pool.
            }

            await _source.ResetPoolAsync().ConfigureAwait(false);
            try
            {
                await AttemptAsync(ct).ConfigureAwait(false);
                continue;
            }
            catch (DatabaseConnectException ex)
            {
                var message = _redactor.Redact($"Lost the database at {_source.Description}: {ex.Failure.Message} Reconnecting.");
                _status.Set(DatabaseState.Connecting, message);
                _logger.LogWarning("Database: {Message}", message);
                _boot.Report(Step, message);
                _bus.Emit(CoreTopics.DbDisconnected, EventPayload.Create(("reason", ex.Failure.Reason), ("message", message)));
                return;
            }
        }
    }

    /// <summary>One attempt: configure, open a pooled connection, <c>SELECT 1</c>. Throws a classified <see cref="DatabaseConnectException"/>.</summary>
    private async Task AttemptAsync(CancellationToken ct, bool quiet = false)
    {
        var attempt = Interlocked.Increment(ref _attempt);
        try
        {
            _source.Configure(_password);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            // The driver's own connect timeout answers first; this only bounds a server that accepts and then hangs.
            deadline.CancelAfter(_settings.ConnectTimeout * 2 + TimeSpan.FromSeconds(1));
            var connection = await _source.OpenAsync(deadline.Token).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT 1",
                    commandTimeout: (int)Math.Max(1, Math.Ceiling(_settings.ConnectTimeout.TotalSeconds)), cancellationToken: deadline.Token)).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            var failure = await _source.ClassifyAsync(ex, ct).ConfigureAwait(false);
            var message = _redactor.Redact(failure.Message);
            _logger.Log(quiet ? LogLevel.Debug : LogLevel.Warning, "Database: attempt {Attempt} failed ({Kind}, {Reason}): {Message} [{Error}]",
                attempt, failure.Kind, failure.Reason, message, _redactor.Describe(ex));
            _boot.Report(Step, $"attempt {attempt} failed: {message}");
            throw new DatabaseConnectException(failure with { Message = message }, ex);
        }
    }

    private async Task<string?> ResolvePasswordAsync(CancellationToken ct)
    {
        if (!_settings.UsesMariaDb || _secrets is null)
        {
            return _settings.Password;
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(SecretReadTimeout);
        try
        {
            // vault:ready_for_data is the documented point for secret I/O; it follows vault:opened (and is sticky).
            await _bus.WaitForAsync(CoreTopics.VaultReadyForData, deadline.Token).ConfigureAwait(false);
            var stored = await _secrets.For(DatabaseModule.Manifest).GetAsync(DatabaseModule.PasswordField, deadline.Token).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(stored))
            {
                _redactor.AddSecret(stored);
                _logger.LogInformation("Database: using the password from the secret store ({Path}, field {Field}); it overrides DB_PASSWORD",
                    DatabaseModule.SecretPath, DatabaseModule.PasswordField);
                return stored;
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // Whatever went wrong (sealed, denied, timed out), DB_PASSWORD may still be right; the attempt will tell.
            _logger.LogWarning("Database: could not read {Path} from the secret store ({Error}); using DB_PASSWORD",
                DatabaseModule.SecretPath, _redactor.Describe(ex));
        }

        return _settings.Password;
    }

    private void EnterConfigError(DatabaseFailure failure)
    {
        var message = _redactor.Redact(failure.Message);
        if (failure.Reason == "access_denied" && string.IsNullOrEmpty(_password))
        {
            message += $" No password is configured: DB_PASSWORD is unset and the secret store has no {DatabaseModule.PasswordField}.";
        }

        _status.Set(DatabaseState.ConfigError, message);
        _logger.LogError("Database: {Message} Not retrying: this is a configuration problem ({Reason}).", message, failure.Reason);
        _boot.Report(Step, message);
        Maintenance(true, "config_error", message);
    }

    private void Maintenance(bool active, string? reason, string? message)
    {
        var payload = active
            ? EventPayload.Create(("service", "db"), ("active", true), ("reason", reason), ("message", message))
            : EventPayload.Create(("service", "db"), ("active", false));
        _bus.Emit(CoreTopics.SystemMaintenanceMode, payload);
    }
}
