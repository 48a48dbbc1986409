using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Secrets.Vault;

/// <summary>
/// <see cref="ISecretBackend"/> over HashiCorp Vault (reference vault-http-api.md). Status from <c>sys/seal-status</c>;
/// initialization with one share and threshold one; unsealing with the stored shares; opening picks a token
/// (<c>VAULT_TOKEN</c>, else AppRole, else the stored root token), checks it with lookup-self, makes sure <c>lyndrix/</c> is a
/// KV v2 engine (creating it when absent and allowed) and probes that KV operations are permitted. Every refusal says which
/// of these steps failed and what to check.
/// </summary>
internal sealed class VaultSecretBackend : ISecretBackend, IAsyncDisposable
{
    // A key nobody writes: reading it proves the policy allows KV reads under core/ without touching data.
    private const string ProbePath = "core/lyndrix-access-check";

    private readonly VaultSettings _settings;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly VaultTokenSession _session;
    private volatile bool _open;

    public VaultSecretBackend(VaultSettings settings, TimeProvider time, ILogger<VaultSecretBackend> logger, HttpMessageHandler? handler = null)
    {
        if (!settings.IsConfigured)
        {
            throw new ArgumentException("VAULT_URL is not set, so there is no Vault to talk to.", nameof(settings));
        }

        _settings = settings;
        _logger = logger;
        _http = new HttpClient(handler ?? VaultHttpHandlerFactory.Create(settings), disposeHandler: true) { Timeout = settings.Timeout };
        var transport = new VaultTransport(_http, settings, new VaultSecretRedactor(), time, logger);
        _session = new VaultTokenSession(transport, settings, time, logger);
        Client = new VaultClient(transport, _session, settings, logger);
        Store = new VaultKeyValueStore(Client, settings.Mount, () => _open);
    }

    public string Kind => "vault";

    public IKeyValueStore Store { get; }

    public VaultClient Client { get; }

    public bool IsOpen => _open;

    public async Task<SecretBackendStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        var status = await Client.GetSealStatusAsync(cancellationToken);
        return new SecretBackendStatus(status.Initialized, status.Sealed, status.Version);
    }

    public async Task<KeyMaterial> InitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            var seal = await Client.GetSealStatusAsync(cancellationToken);
            var init = await Client.InitializeAsync(1, 1, seal.IsAutoUnseal, cancellationToken);
            if (seal.IsAutoUnseal)
            {
                _logger.LogInformation("Initialized Vault at {Url} (auto-unseal seal '{Seal}') with one recovery key share; Vault unseals itself.",
                    _settings.Url, seal.Type);
                return new KeyMaterial(init.RootToken, [], init.RecoveryKeys);
            }

            _logger.LogInformation("Initialized Vault at {Url} with one unseal key share; it stays sealed until unsealed.", _settings.Url);
            return new KeyMaterial(init.RootToken, init.Keys);
        }
        catch (VaultApiException e) when (e.StatusCode == 400 && e.ErrorsContain("already initialized"))
        {
            throw new SecretBackendAlreadyInitializedException(
                $"Vault at {_settings.Url} is already initialized, so it cannot be initialized again. Unseal it with the keys in vault_keys.enc " +
                "(or the keys its operators hold); if those are lost, the data in this Vault cannot be recovered.", e);
        }
    }

    public async Task<SecretBackendStatus> UnsealAsync(KeyMaterial material, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(material);
        if (material.UnsealKeys.Count == 0)
        {
            return await AwaitAutoUnsealAsync(cancellationToken);
        }

        VaultSealStatus? status = null;
        foreach (var key in material.UnsealKeys)
        {
            try
            {
                status = await Client.SubmitUnsealKeyAsync(key, cancellationToken);
            }
            catch (VaultApiException e) when (e.StatusCode == 400)
            {
                var reason = string.Join("; ", e.Errors);
                var help = e.ErrorsContain("not initialized") ? "Initialize it first."
                    : e.ErrorsContain("valid hex or base64") ? "An unseal key is the hex (or base64) text Vault printed at initialization."
                    : "The key does not belong to this Vault or was mistyped; Vault has reset the unseal progress. Use the keys stored in " +
                      "vault_keys.enc when this Vault was initialized.";
                throw new VaultApiException(e.Operation, e.StatusCode, e.Errors, e.Warnings, $"Vault at {_settings.Url} rejected the unseal key ({reason}). {help}");
            }

            if (!status.Sealed)
            {
                break;
            }
        }

        if (status!.Sealed)
        {
            _logger.LogInformation("Vault unseal progress {Progress}/{Threshold}; more key shares are needed.", status.Progress, status.T);
        }

        return new SecretBackendStatus(status.Initialized, status.Sealed, status.Version);
    }

    // Recovery keys cannot unseal: a Vault with an auto-unseal seal unseals itself once its KMS answers.
    private async Task<SecretBackendStatus> AwaitAutoUnsealAsync(CancellationToken cancellationToken)
    {
        var status = await Client.GetSealStatusAsync(cancellationToken);
        if (!status.IsAutoUnseal)
        {
            throw new SecretBackendUnsealRejectedException(
                $"The key file holds no unseal keys, but Vault at {_settings.Url} uses a Shamir seal, which needs them. The file was written for a " +
                "Vault with an auto-unseal seal: point VAULT_URL at that Vault, or restore the key file written when this Vault was initialized.");
        }

        if (status.Sealed)
        {
            throw new SecretBackendUnsealRejectedException(
                $"Vault at {_settings.Url} uses an auto-unseal seal ('{status.Type}') and is sealed: it unseals itself once its seal (the transit " +
                "Vault or cloud KMS) answers, and recovery keys cannot unseal it. Check the seal's reachability and credentials in Vault's log; " +
                "the host opens the store when Vault is unsealed.");
        }

        return new SecretBackendStatus(status.Initialized, status.Sealed, status.Version);
    }

    public async Task OpenAsync(KeyMaterial? material, CancellationToken cancellationToken)
    {
        _open = false;
        var origin = await ChooseTokenAsync(material, cancellationToken);
        var source = Describe(origin);
        await CheckTokenAsync(source, cancellationToken);
        await EnsureMountAsync(source, cancellationToken);
        await ProbeKvAsync(source, cancellationToken);
        _open = true;
        _logger.LogInformation("Vault secret store open: token {Source}, mount {Mount}/ is KV version 2.", source, _settings.Mount);
    }

    public async ValueTask DisposeAsync()
    {
        await _session.DisposeAsync();
        _http.Dispose();
    }

    private async Task<VaultTokenOrigin> ChooseTokenAsync(KeyMaterial? material, CancellationToken cancellationToken)
    {
        if (_settings.Token is not null)
        {
            await _session.UseTokenAsync(_settings.Token, VaultTokenOrigin.EnvironmentToken, cancellationToken);
            return VaultTokenOrigin.EnvironmentToken;
        }

        if (_settings.HasAppRole)
        {
            await _session.LogInAsync(cancellationToken);
            return VaultTokenOrigin.AppRole;
        }

        if (!string.IsNullOrEmpty(material?.RootToken))
        {
            await _session.UseTokenAsync(material.RootToken, VaultTokenOrigin.RootToken, cancellationToken);
            return VaultTokenOrigin.RootToken;
        }

        throw new SecretBackendAuthException(
            "There is no Vault token to open the secret store with. Set VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID for AppRole login, " +
            "or keep vault_keys.enc with LYNDRIX_MASTER_KEY (it holds the root token from initialization).");
    }

    private string Describe(VaultTokenOrigin origin) => origin switch
    {
        VaultTokenOrigin.EnvironmentToken => "from VAULT_TOKEN",
        VaultTokenOrigin.AppRole => $"from AppRole login (VAULT_ROLE_ID at auth/{_settings.AppRoleMount})",
        _ => "stored in vault_keys.enc (the root token from initialization)",
    };

    private async Task CheckTokenAsync(string source, CancellationToken cancellationToken)
    {
        try
        {
            var info = await Client.LookupSelfAsync(cancellationToken);
            await _session.RecordLeaseAsync(info, cancellationToken);
            _logger.LogInformation("Vault token {Source}: policies {Policies}, {Lifetime}.", source, string.Join(",", info.Policies),
                info.Ttl == 0 ? "no expiry" : $"expires in {info.Ttl} s{(info.Renewable ? ", renewable" : ", not renewable")}");
        }
        catch (VaultApiException e) when (e.IsPermissionDenied)
        {
            var why = e.IsInvalidToken
                ? "the token is invalid, expired or revoked"
                : "the token is invalid, or its policies lack the 'default' policy (lookup-self needs read on auth/token/lookup-self)";
            var fix = _settings.Token is not null ? "Create a new token (vault token create -policy=lyndrix) and set VAULT_TOKEN to it."
                : _settings.HasAppRole ? "Check the token_policies of the AppRole role."
                : "The root token in vault_keys.enc no longer works (was it revoked?): set VAULT_TOKEN to a token with the lyndrix policy.";
            throw new SecretBackendAuthException($"The Vault token {source} was refused by auth/token/lookup-self: {why}. {fix}", e);
        }
    }

    private async Task EnsureMountAsync(string source, CancellationToken cancellationToken)
    {
        var path = _settings.Mount + "/";
        VaultMountInfo? mount;
        try
        {
            var mounts = await Client.ListMountsAsync(cancellationToken);
            mount = mounts.GetValueOrDefault(path);
        }
        catch (VaultApiException e) when (e.IsPermissionDenied)
        {
            // Scoped tokens may not read sys/mounts; the UI probe works for any token with some access under the mount.
            mount = await ProbeMountAsync(source, cancellationToken);
        }

        if (mount is null)
        {
            mount = await CreateMountAsync(source, cancellationToken);
        }

        if (mount.Type != "kv")
        {
            throw new SecretBackendAuthException(
                $"Cannot use the {path} mount: it is a '{mount.Type}' secrets engine, but Lyndrix keeps its secrets in a KV version 2 engine at " +
                $"{path}. Move that engine to another path, or point Lyndrix at a Vault where {path} is free.");
        }

        if (!mount.IsKvV2)
        {
            throw new SecretBackendAuthException(
                $"Cannot use the {path} mount: it is a KV version 1 engine, and Lyndrix needs KV version 2 (versions and check-and-set). Upgrade it " +
                $"in place with 'vault kv enable-versioning {path}' (POST sys/mounts/{_settings.Mount}/tune with {{\"options\":{{\"version\":\"2\"}}}}); " +
                "existing keys become version 1.");
        }
    }

    /// <summary>The mount at exactly <c>lyndrix/</c> through the UI probe, null when the probe names a parent mount (it
    /// answers the longest mounted prefix, as <c>sys/mounts/&lt;path&gt;</c> does).</summary>
    private async Task<VaultMountInfo?> ProbeMountAsync(string source, CancellationToken cancellationToken)
    {
        try
        {
            var mount = await Client.GetUiMountAsync(_settings.Mount, cancellationToken);
            return mount.Path is null || mount.Path.Trim('/') == _settings.Mount.Trim('/') ? mount : null;
        }
        catch (VaultApiException e) when (e.IsPermissionDenied)
        {
            throw new SecretBackendAuthException(
                $"Cannot use the {_settings.Mount}/ mount with the token {source}: the token may not list mounts (no read on sys/mounts), and the " +
                $"probe sys/internal/ui/mounts/{_settings.Mount} was refused, so either the mount does not exist (and this token cannot create it) " +
                $"or the token's policies grant nothing under {_settings.Mount}/. Ask a Vault administrator to run 'vault secrets enable " +
                $"-path={_settings.Mount} kv-v2' and to grant this token a policy on {_settings.Mount}/data/* and {_settings.Mount}/metadata/*.", e);
        }
    }

    private async Task<VaultMountInfo> CreateMountAsync(string source, CancellationToken cancellationToken)
    {
        bool created;
        try
        {
            created = await Client.EnableKvV2Async(_settings.Mount, "Lyndrix secrets (KV version 2)", cancellationToken);
        }
        catch (VaultApiException e) when (e.IsPermissionDenied)
        {
            throw new SecretBackendAuthException(
                $"The {_settings.Mount}/ mount does not exist and the token {source} may not create it (it needs update on " +
                $"sys/mounts/{_settings.Mount}). Enable it once as an administrator with 'vault secrets enable -path={_settings.Mount} kv-v2', or " +
                "open the store with a token allowed to.", e);
        }

        if (created)
        {
            _logger.LogInformation("Enabled a KV version 2 secrets engine at {Mount}/.", _settings.Mount);
            return new VaultMountInfo("kv", "2", "", _settings.Mount + "/");
        }

        // "Already in use": someone mounted something there meanwhile. Look at what it is before trusting it.
        return await Client.GetMountAsync(_settings.Mount, cancellationToken)
               ?? throw new SecretBackendAuthException(
                   $"Vault says {_settings.Mount}/ overlaps an existing mount, but nothing is mounted exactly there: another engine is mounted at a " +
                   $"parent or child path of {_settings.Mount}/. Move it, so that Lyndrix can own {_settings.Mount}/.");
    }

    private async Task ProbeKvAsync(string source, CancellationToken cancellationToken)
    {
        try
        {
            _ = await Client.ReadKvAsync(_settings.Mount, ProbePath, null, cancellationToken);
        }
        catch (VaultApiException e) when (e.IsPermissionDenied)
        {
            throw new SecretBackendAuthException(
                $"The token {source} can reach the {_settings.Mount}/ mount but its policies forbid KV operations: reading " +
                $"{_settings.Mount}/data/{ProbePath} was refused. The Lyndrix host token needs create, read, update, patch and delete on " +
                $"{_settings.Mount}/data/* and read, list and delete on {_settings.Mount}/metadata/*.", e);
        }
    }
}
