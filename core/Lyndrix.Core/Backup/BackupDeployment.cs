using Lyndrix.Core.Configuration;
using Lyndrix.Core.Data;
using Lyndrix.Core.Hosting;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Embedded;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Secrets.Lifecycle;
using Lyndrix.Core.Secrets.Vault;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Core.Backup;

/// <summary>
/// A deployment opened from its settings the way the host opens it, without starting a host: the secret store (embedded:
/// unsealed with the master key and <c>vault_keys.enc</c>; Vault: opened with VAULT_TOKEN, AppRole or the key file's root
/// token) and the database (with DB_PASSWORD, or the password the secret store keeps for it, as the host resolves it).
/// Safe beside a running host: the embedded store coordinates through SQLite's locks, Vault and MariaDB are servers.
/// </summary>
internal sealed class BackupDeployment : IAsyncDisposable
{
    private readonly IAsyncDisposable? _vault;
    private readonly IDisposable? _embedded;
    private DeploymentLock? _restoreLock;

    private BackupDeployment(HostSettings host, SecretStoreSettings secrets, DatabaseSettings database, ISecretBackend backend,
        IDatabaseConnectionSource source, DatabaseCredentialRedactor redactor, string? masterKey)
    {
        Host = host;
        Secrets = secrets;
        DatabaseSettings = database;
        Backend = backend;
        Database = source;
        Redactor = redactor;
        MasterKey = masterKey;
        _vault = backend as IAsyncDisposable;
        _embedded = backend as IDisposable;
    }

    public HostSettings Host { get; }

    public SecretStoreSettings Secrets { get; }

    public DatabaseSettings DatabaseSettings { get; }

    public ISecretBackend Backend { get; }

    public IKeyValueStore Store => Backend.Store;

    public IDatabaseConnectionSource Database { get; }

    public DatabaseCredentialRedactor Redactor { get; }

    /// <summary>The master key the store was opened with (LYNDRIX_MASTER_KEY or the development key file); null for a Vault
    /// opened with a token.</summary>
    public string? MasterKey { get; }

    /// <summary>"embedded store + SQLite /data/lyndrix.db", for progress lines (no credentials).</summary>
    public string Describe() => $"{Backend.Kind} secret store + {Database.Description}";

    /// <param name="restoreTarget">Open the deployment to restore into it: first take the deployment lock exclusively (refused
    /// while a host or another restore runs on it; held until disposed), then initialize an embedded store that does not exist
    /// yet, as the host's auto-init does (new data key, <c>vault_keys.enc</c> under the master key).</param>
    /// <exception cref="BackupException">With <see cref="BackupProblem.HostRunning"/>: the lock is held; nothing was touched.</exception>
    public static async Task<BackupDeployment> OpenAsync(HostSettings host, string workingDirectory, bool restoreTarget, CancellationToken cancellationToken)
    {
        var restoreLock = restoreTarget ? LockForRestore(host) : null;
        try
        {
            var deployment = await OpenUnlockedAsync(host, workingDirectory, restoreTarget, cancellationToken).ConfigureAwait(false);
            deployment._restoreLock = restoreLock;
            return deployment;
        }
        catch
        {
            restoreLock?.Dispose();
            throw;
        }
    }

    private static DeploymentLock LockForRestore(HostSettings host)
    {
        try
        {
            return DeploymentLock.ForRestore(host.SecurityDir, DeploymentHolder.Current(DeploymentHolder.RestoreRole, host.InstanceId, TimeProvider.System));
        }
        catch (DeploymentBusyException ex)
        {
            throw new BackupException(BackupProblem.HostRunning, ex.Message, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BackupException(BackupProblem.Failed,
                $"The deployment lock in {DeploymentLock.FolderIn(host.SecurityDir)} cannot be taken ({ex.Message}), so it cannot be told whether a " +
                "host runs on this deployment. Nothing was changed; check that SECURITY_DIR is writable by this user.", ex);
        }
    }

    private static async Task<BackupDeployment> OpenUnlockedAsync(HostSettings host, string workingDirectory, bool initializeEmptyStore, CancellationToken cancellationToken)
    {
        var secrets = SecretStoreSettings.Load(host);
        var database = DatabaseSettings.Load(host.Source, workingDirectory, host.StorageDir);
        var embedded = secrets.VaultUrl is null;
        var masterKey = (await MasterKeySource.ResolveAsync(secrets, embedded, NullLogger.Instance, cancellationToken).ConfigureAwait(false)).Key;
        var backend = embedded
            ? await OpenEmbeddedAsync(secrets, masterKey, initializeEmptyStore, cancellationToken).ConfigureAwait(false)
            : await OpenVaultAsync(host, workingDirectory, secrets, masterKey, cancellationToken).ConfigureAwait(false);
        try
        {
            var redactor = new DatabaseCredentialRedactor();
            var password = database.Password;
            var stored = await backend.Store.ReadAsync(DatabaseModule.SecretPath, cancellationToken).ConfigureAwait(false);
            if (stored is { State: KvReadState.Found, Data: { } data } && data.TryGetValue(DatabaseModule.PasswordField, out var fromStore) && fromStore.Length > 0)
            {
                password = fromStore;
            }

            redactor.AddSecret(database.Password);
            redactor.AddSecret(password);
            IDatabaseConnectionSource source = database.UsesMariaDb ? new MariaDbConnectionSource(database) : new SqliteConnectionSource(database);
            try
            {
                source.Configure(password);
                var probe = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
                await probe.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or DatabaseConfigurationException or InvalidOperationException or IOException)
            {
                await source.DisposeAsync().ConfigureAwait(false);
                throw new BackupException(BackupProblem.Unreachable,
                    $"The database ({database.Describe()}) cannot be reached: {redactor.Describe(ex)}. Check that it runs and that DB_HOST, DB_PORT, " +
                    "DB_USER, DB_PASSWORD and DB_NAME are right; nothing was read or changed.");
            }

            return new BackupDeployment(host, secrets, database, backend, source, redactor, masterKey);
        }
        catch
        {
            await DisposeBackendAsync(backend).ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync().ConfigureAwait(false);
        _embedded?.Dispose();
        _restoreLock?.Dispose();
        if (_vault is not null)
        {
            await _vault.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<ISecretBackend> OpenEmbeddedAsync(SecretStoreSettings settings, string? masterKey, bool initialize, CancellationToken cancellationToken)
    {
        if (masterKey is null)
        {
            throw new BackupException(BackupProblem.Unreachable,
                "LYNDRIX_MASTER_KEY is not set, so the embedded secret store cannot be opened. Export the master key its vault_keys.enc is " +
                "encrypted with (it is never taken from the command line).");
        }

        var backend = EmbeddedSecretBackend.Create(settings, TimeProvider.System, NullLogger.Instance);
        try
        {
            var keyFile = new VaultKeyFile(settings.KeyFilePath, settings.Argon);
            KeyMaterial material;
            if (backend.VerifyIntegrity() is EmbeddedStoreState.Uninitialized)
            {
                if (!initialize)
                {
                    throw new BackupException(BackupProblem.Unreachable,
                        $"There is no embedded secret store in {settings.SecurityDir}: nothing to back up there. Check SECURITY_DIR.");
                }

                keyFile.EnsureWritable();
                material = await backend.InitializeAsync(cancellationToken).ConfigureAwait(false);
                await keyFile.CreateAsync(material, masterKey, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                material = await keyFile.ReadAsync(masterKey, cancellationToken).ConfigureAwait(false);
            }

            await backend.UnsealAsync(material, cancellationToken).ConfigureAwait(false);
            return backend;
        }
        catch (Exception ex) when (ex is KeyFileException or SecretBackendUnsealRejectedException or SecretStoreIntegrityException or InvalidDataException)
        {
            backend.Dispose();
            throw new BackupException(BackupProblem.Unreachable, $"The embedded secret store cannot be opened: {ex.Message}", ex);
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    private static async Task<ISecretBackend> OpenVaultAsync(HostSettings host, string workingDirectory, SecretStoreSettings settings, string? masterKey,
        CancellationToken cancellationToken)
    {
        var vault = new VaultSecretBackend(VaultSettings.Load(host.Source, workingDirectory), TimeProvider.System, NullLogger<VaultSecretBackend>.Instance);
        try
        {
            var status = await vault.GetStatusAsync(cancellationToken).ConfigureAwait(false);
            if (!status.Initialized || status.Sealed)
            {
                throw new BackupException(BackupProblem.Unreachable,
                    $"Vault at {settings.VaultUrl} is {(status.Initialized ? "sealed" : "not initialized")}: start the host (it initializes and unseals " +
                    "with LYNDRIX_MASTER_KEY) or run 'lyndrix vault unseal', then try again.");
            }

            KeyMaterial? material = null;
            if (masterKey is not null && File.Exists(settings.KeyFilePath))
            {
                material = await new VaultKeyFile(settings.KeyFilePath, settings.Argon).ReadAsync(masterKey, cancellationToken).ConfigureAwait(false);
            }

            await vault.OpenAsync(material, cancellationToken).ConfigureAwait(false);
            return vault;
        }
        catch (Exception ex) when (ex is SecretBackendUnreachableException or SecretBackendAuthException or KeyFileException or HttpRequestException or VaultApiException)
        {
            await vault.DisposeAsync().ConfigureAwait(false);
            throw new BackupException(BackupProblem.Unreachable, $"The Vault secret store cannot be opened: {new VaultSecretRedactor().Scrub(ex.Message)}", ex);
        }
        catch
        {
            await vault.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task DisposeBackendAsync(ISecretBackend backend)
    {
        (backend as IDisposable)?.Dispose();
        if (backend is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
    }
}
