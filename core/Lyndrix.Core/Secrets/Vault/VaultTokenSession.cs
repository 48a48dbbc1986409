using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>
/// Owns the token (reference §7): a given token (<c>VAULT_TOKEN</c> or the stored root token) or one obtained by AppRole
/// login. Tokens with a lease are renewed at about 2/3 of their TTL, both lazily before a call and by a timer while idle; a
/// refused renewal, a non-renewable token or a renewal capped by the max TTL leads to a fresh AppRole login when credentials
/// are configured. Token values go to the redactor the moment they are known and are never logged.
/// </summary>
internal sealed class VaultTokenSession : IAsyncDisposable
{
    private readonly VaultTransport _transport;
    private readonly VaultSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private volatile string? _token;
    private TimeSpan _lease;
    private TimeSpan _creationLease;
    private bool _renewable;
    private DateTimeOffset _renewAt = DateTimeOffset.MaxValue;
    private ITimer? _timer;
    private Task _backgroundRenewal = Task.CompletedTask;

    public VaultTokenSession(VaultTransport transport, VaultSettings settings, TimeProvider time, ILogger logger)
    {
        _transport = transport;
        _settings = settings;
        _time = time;
        _logger = logger;
    }

    public VaultTokenOrigin? Origin { get; private set; }

    public bool HasToken => _token is not null;

    public bool CanLogIn => _settings.HasAppRole;

    /// <summary>When the token is due for renewal; null for tokens without a lease.</summary>
    public DateTimeOffset? RenewAt => _lease > TimeSpan.Zero && _renewAt != DateTimeOffset.MaxValue ? _renewAt : null;

    /// <summary>Uses a given token. Its lease is unknown until <see cref="RecordLease"/> (after a lookup-self).</summary>
    public async Task UseTokenAsync(string token, VaultTokenOrigin origin, CancellationToken cancellationToken)
    {
        _transport.Redactor.Add(token);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _token = token;
            Origin = origin;
            SetLease(TimeSpan.Zero, TimeSpan.Zero, renewable: false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Records what lookup-self said about a given token, so it gets renewed in time.</summary>
    public async Task RecordLeaseAsync(VaultTokenInfo info, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            SetLease(TimeSpan.FromSeconds(info.Ttl), TimeSpan.FromSeconds(info.CreationTtl > 0 ? info.CreationTtl : info.Ttl), info.Renewable);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<VaultAuthLease> LogInAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await LogInLockedAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The token to send, renewed or replaced first when it is due.</summary>
    public async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        if (_token is null)
        {
            if (!CanLogIn)
            {
                throw new InvalidOperationException("No Vault token is set yet: the secret store must be opened (VaultSecretBackend.OpenAsync) first.");
            }

            await LogInAsync(cancellationToken);
        }
        else if (_time.GetUtcNow() >= _renewAt)
        {
            await _gate.WaitAsync(cancellationToken);
            try
            {
                if (_time.GetUtcNow() >= _renewAt)
                {
                    await RefreshLockedAsync(cancellationToken);
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        return _token ?? throw new InvalidOperationException("No Vault token is set.");
    }

    /// <summary>Renews the current token now (renew-self) and records the new lease.</summary>
    public async Task<VaultAuthLease> RenewAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await RenewLockedAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>After Vault called <paramref name="rejected"/> invalid: logs in again (once per rejected token) when AppRole
    /// credentials are configured. Returns whether a different token is now available.</summary>
    public async Task<bool> ReplaceRejectedTokenAsync(string rejected, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!string.Equals(_token, rejected, StringComparison.Ordinal))
            {
                return _token is not null;
            }

            if (!CanLogIn)
            {
                return false;
            }

            _logger.LogInformation("Vault rejected the current token as invalid or expired; logging in again with AppRole.");
            await LogInLockedAsync(cancellationToken);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _timer?.Dispose();
        try
        {
            await _backgroundRenewal;
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }

        _stopping.Dispose();
        _gate.Dispose();
    }

    private async Task<VaultAuthLease> LogInLockedAsync(CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["role_id"] = _settings.RoleId };
        if (_settings.SecretId is not null)
        {
            body["secret_id"] = _settings.SecretId;
        }

        _transport.Redactor.Add(_settings.SecretId);
        // A login consumes a use of the secret ID, so it is only repeated when the request never left the machine.
        var call = VaultCall.Post($"auth/{_settings.AppRoleMount}/login", body, VaultRetryKind.UnsafeWrite);
        var response = await _transport.SendAsync(call, token: null, cancellationToken);
        if (response.StatusCode is 400 or 403)
        {
            var ns = _settings.Namespace is null ? "" : $", and that the role lives in namespace '{_settings.Namespace}' (VAULT_NAMESPACE)";
            throw new SecretBackendAuthException(
                $"AppRole login at auth/{_settings.AppRoleMount}/login was refused ({response.StatusCode}: {string.Join("; ", response.Errors)}). Check " +
                $"VAULT_ROLE_ID and VAULT_SECRET_ID (a secret ID can expire or run out of uses), VAULT_APPROLE_MOUNT{ns}.");
        }

        VaultFailures.ThrowIfFailed(response, call, _transport.BaseAddress);
        var lease = ReadLease(response, call);
        _token = lease.ClientToken;
        Origin = VaultTokenOrigin.AppRole;
        SetLease(TimeSpan.FromSeconds(lease.LeaseDuration), TimeSpan.FromSeconds(lease.LeaseDuration), lease.Renewable);
        _logger.LogInformation("Logged in to Vault with AppRole (policies {Policies}, lease {Lease} s).", string.Join(",", lease.Policies), lease.LeaseDuration);
        return lease;
    }

    private async Task<VaultAuthLease> RenewLockedAsync(CancellationToken cancellationToken)
    {
        var call = VaultCall.Post("auth/token/renew-self", null, VaultRetryKind.Idempotent);
        var response = await _transport.SendAsync(call, _token, cancellationToken);
        VaultFailures.ThrowIfFailed(response, call, _transport.BaseAddress);
        var lease = ReadLease(response, call);
        SetLease(TimeSpan.FromSeconds(lease.LeaseDuration), _creationLease, lease.Renewable);
        return lease;
    }

    private async Task RefreshLockedAsync(CancellationToken cancellationToken)
    {
        if (_renewable)
        {
            try
            {
                var lease = await RenewLockedAsync(cancellationToken);
                // Vault caps a renewal at the max TTL and says so: the token is near its end, so start over while it still works.
                if (CanLogIn && lease.LeaseDuration + 1 < _creationLease.TotalSeconds)
                {
                    _logger.LogInformation("Vault capped the token renewal at its max TTL ({Lease} s left); logging in again.", lease.LeaseDuration);
                    await LogInLockedAsync(cancellationToken);
                }
                else
                {
                    _logger.LogDebug("Renewed the Vault token (lease {Lease} s).", lease.LeaseDuration);
                }

                return;
            }
            catch (VaultApiException e) when (e.StatusCode is 400 or 403)
            {
                if (CanLogIn)
                {
                    _logger.LogInformation("Vault refused to renew the token ({Reason}); logging in again.", e.Message);
                    await LogInLockedAsync(cancellationToken);
                    return;
                }

                _logger.LogWarning("Vault refused to renew the token ({Reason}) and no AppRole credentials are configured to log in again. " +
                                   "Calls will fail once the token expires: provide a new VAULT_TOKEN or configure VAULT_ROLE_ID/VAULT_SECRET_ID.", e.Message);
                _renewAt = DateTimeOffset.MaxValue;
                return;
            }
        }

        if (CanLogIn)
        {
            await LogInLockedAsync(cancellationToken);
            return;
        }

        _logger.LogWarning("The Vault token is not renewable and no AppRole credentials are configured; it expires in about {Seconds} s.",
            (long)_lease.TotalSeconds);
        _renewAt = DateTimeOffset.MaxValue;
    }

    private VaultAuthLease ReadLease(VaultResponse response, VaultCall call)
    {
        var lease = VaultJson.Read<VaultAuthLease>(response.Json?["auth"], call.Describe());
        lease.Warnings = response.Warnings;
        _transport.Redactor.Add(lease.ClientToken);
        return lease;
    }

    private void SetLease(TimeSpan lease, TimeSpan creationLease, bool renewable)
    {
        _lease = lease;
        _creationLease = creationLease;
        _renewable = renewable;
        _renewAt = lease > TimeSpan.Zero ? _time.GetUtcNow() + (lease * 2 / 3) : DateTimeOffset.MaxValue;
        ScheduleRenewal();
    }

    // Renews while idle too: a host that makes no Vault call for longer than the TTL would otherwise find its token gone.
    private void ScheduleRenewal()
    {
        _timer?.Dispose();
        _timer = null;
        if (_renewAt == DateTimeOffset.MaxValue || _stopping.IsCancellationRequested)
        {
            return;
        }

        var due = _renewAt - _time.GetUtcNow();
        _timer = _time.CreateTimer(_ => _backgroundRenewal = RenewInBackgroundAsync(), null, due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private async Task RenewInBackgroundAsync()
    {
        try
        {
            await GetTokenAsync(_stopping.Token);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception e)
        {
            _logger.LogWarning("Background renewal of the Vault token failed: {Reason} It is tried again before the next Vault call.",
                _transport.Redactor.Scrub(e.Message));
        }
    }
}
