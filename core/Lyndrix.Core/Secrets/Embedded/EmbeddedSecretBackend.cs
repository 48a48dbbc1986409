using System.Security.Cryptography;
using Lyndrix.Core.Secrets.KeyFile;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>
/// The secret backend used when <c>VAULT_URL</c> is not set: an SQLite database under SECURITY_DIR whose secret versions are
/// each encrypted with a random 32-byte data key. The data key is the embedded store's "root token": it lives only in
/// <c>vault_keys.enc</c> (encrypted with the master key) and in memory while unsealed. Same lifecycle as Vault:
/// uninitialized → sealed → unsealed. Init creates the store "pending" before the key file is written, so a store whose
/// key file never got written is recognised as a leftover, while a key file without its store, a store without its key
/// file and a rolled-back store are refused (<see cref="EmbeddedStoreIntegrity"/>).
/// </summary>
internal sealed class EmbeddedSecretBackend : ISecretBackend, IDisposable
{
    public const string BackendKind = "embedded";
    public const string StatusVersion = "embedded/2";

    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private volatile EmbeddedStoreConnections? _connections;

    public EmbeddedSecretBackend(EmbeddedStorePaths paths, TimeProvider time, ILogger? logger = null, int defaultMaxVersions = 10,
        AtomicFileWriter? writer = null)
    {
        Paths = paths;
        _time = time;
        _logger = logger ?? NullLogger.Instance;
        Mark = new EmbeddedStoreMark(paths.Mark, writer);
        var store = new EmbeddedKeyValueStore(this, time, defaultMaxVersions);
        Store = store;
        History = store;
    }

    public static EmbeddedSecretBackend Create(SecretStoreSettings settings, TimeProvider time, ILogger? logger = null) =>
        new(EmbeddedStorePaths.In(settings.SecurityDir), time, logger, settings.EmbeddedMaxVersions);

    public string Kind => BackendKind;

    public IKeyValueStore Store { get; }

    public IKeyValueHistory History { get; }

    public EmbeddedStorePaths Paths { get; }

    internal EmbeddedStoreMark Mark { get; }

    /// <summary>Checks that the store's files belong together (no data key needed).</summary>
    /// <exception cref="SecretStoreIntegrityException">They do not; the message says what to restore.</exception>
    public EmbeddedStoreState VerifyIntegrity() => EmbeddedStoreIntegrity.Check(Paths);

    public Task<SecretBackendStatus> GetStatusAsync(CancellationToken cancellationToken)
    {
        var state = VerifyIntegrity();
        return Task.FromResult(new SecretBackendStatus(state != EmbeddedStoreState.Uninitialized, _connections is null, StatusVersion));
    }

    public Task<KeyMaterial> InitializeAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (VerifyIntegrity() != EmbeddedStoreState.Uninitialized)
            {
                throw new InvalidOperationException($"The embedded secret store is already initialized ({Paths.KeyFile} exists).");
            }

            if (File.Exists(Paths.Database))
            {
                EmbeddedStoreDatabase.DeleteWithCompanions(Paths.Database);
                if (Mark.Exists)
                {
                    Mark.Delete();
                }

                EmbeddedStoreLog.RemovedPendingStore(_logger, Paths.Database);
            }

            var key = RandomNumberGenerator.GetBytes(32);
            try
            {
                using var aead = EmbeddedCipher.NewAead(key);
                var header = new EmbeddedStoreHeader(Guid.NewGuid().ToString("N"), EmbeddedCipher.SealKeyCheck(aead), EmbeddedStoreHeader.Pending, 0, null);
                try
                {
                    EmbeddedStoreDatabase.Create(Paths.Database, header);
                }
                catch (IOException) when (File.Exists(Paths.Database))
                {
                    throw new InvalidOperationException($"The embedded secret store {Paths.Database} was created by another process meanwhile.");
                }

                // The store stays pending (and counts as uninitialized) until the caller has written the key file and unseals.
                return Task.FromResult(new KeyMaterial(Convert.ToBase64String(key), []));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }
    }

    /// <summary>Removes the pending store of an initialization whose key file could not be written, so nothing is left behind.</summary>
    public void AbandonInitialization()
    {
        lock (_gate)
        {
            if (!File.Exists(Paths.KeyFile) && File.Exists(Paths.Database) && EmbeddedStoreDatabase.ReadHeader(Paths.Database).IsPending)
            {
                EmbeddedStoreDatabase.DeleteWithCompanions(Paths.Database);
            }
        }
    }

    public async Task<SecretBackendStatus> UnsealAsync(KeyMaterial material, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(material);
        var key = DecodeDataKey(material);
        try
        {
            var state = VerifyIntegrity();
            EmbeddedStoreHeader header;
            var migratedNow = false;
            switch (state)
            {
                case EmbeddedStoreState.Uninitialized:
                    throw new InvalidOperationException("The embedded secret store is not initialized; initialize it before unsealing.");
                case EmbeddedStoreState.NeedsMigration:
                    header = await EmbeddedStoreMigration.MigrateAsync(Paths, key, Mark, cancellationToken).ConfigureAwait(false);
                    EmbeddedStoreLog.Migrated(_logger, CountSecrets(), Paths.LegacyFile, Paths.Database, Paths.LegacyFile + ".migrated");
                    migratedNow = true;
                    break;
                default:
                    header = EmbeddedStoreDatabase.ReadHeader(Paths.Database);
                    using (var aead = EmbeddedCipher.NewAead(key))
                    {
                        if (!EmbeddedCipher.IsKeyCheck(aead, header.KeyCheck))
                        {
                            throw new SecretBackendUnsealRejectedException(
                                $"The data key in {Paths.KeyFile} does not open {Paths.Database}: the two files come from different installations " +
                                "(or the store was altered). Restore the matching pair of files from the same backup.");
                        }
                    }

                    if (header.IsPending)
                    {
                        // The mark first: a crash before the state change leaves a pending store with its mark, which the next unseal completes.
                        await Mark.WriteAsync(header.StoreId, header.Sequence, cancellationToken).ConfigureAwait(false);
                        using var connection = EmbeddedStoreDatabase.Open(Paths.Database);
                        EmbeddedStoreDatabase.Execute(connection, $"UPDATE store SET state = '{EmbeddedStoreHeader.Ready}' WHERE id = 1");
                    }

                    break;
            }

            FinishMigration(migratedNow);
            lock (_gate)
            {
                _connections?.Dispose();
                _connections = new EmbeddedStoreConnections(Paths.Database, key, header.StoreId);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }

        return await GetStatusAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task OpenAsync(KeyMaterial? material, CancellationToken cancellationToken)
    {
        // No tokens and no mounts: an unsealed embedded store is open.
        _ = RequireConnections();
        return Task.CompletedTask;
    }

    /// <summary>Forgets the data key and closes the store, as <c>vault operator seal</c> would. The next unseal needs the master key again.</summary>
    public void Seal()
    {
        lock (_gate)
        {
            _connections?.Dispose();
            _connections = null;
        }
    }

    public void Dispose() => Seal();

    internal EmbeddedStoreConnections RequireConnections() =>
        _connections ?? throw new SecretBackendSealedException(
            "The embedded secret store is sealed: its data key is not in memory. Unseal it with the master key (set LYNDRIX_MASTER_KEY, " +
            "or POST /api/vault/unseal, or 'lyndrix vault unseal').");

    /// <summary>Raises the rollback mark after a commit. A failure only lets the mark lag (a weaker rollback check, never a
    /// refused current store), so it is logged and the committed write still succeeds.</summary>
    internal async Task AdvanceMarkAsync(string storeId, long sequence, CancellationToken cancellationToken)
    {
        try
        {
            await Mark.AdvanceAsync(storeId, sequence, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            EmbeddedStoreLog.MarkNotAdvanced(_logger, Mark.Path, ex.Message);
        }
    }

    private void FinishMigration(bool migratedNow)
    {
        var legacy = new EmbeddedLegacyStoreFile(Paths.LegacyFile);
        if (legacy.Exists)
        {
            // The database was renamed into place but the old file was not yet: integrity checked that it is the same file.
            File.Move(legacy.Path, legacy.MigratedPath, overwrite: true);
            EmbeddedStoreLog.FinishedMigration(_logger, legacy.Path, legacy.MigratedPath);
        }
        else if (!migratedNow && File.Exists(legacy.MigratedPath))
        {
            File.Delete(legacy.MigratedPath);
            EmbeddedStoreLog.RemovedMigratedFile(_logger, legacy.MigratedPath);
        }
    }

    private int CountSecrets()
    {
        using var connection = EmbeddedStoreDatabase.Open(Paths.Database);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM secrets";
        return (int)(long)command.ExecuteScalar()!;
    }

    private static byte[] DecodeDataKey(KeyMaterial material)
    {
        try
        {
            var key = Convert.FromBase64String(material.RootToken);
            if (key.Length == 32)
            {
                return key;
            }
        }
        catch (FormatException)
        {
        }

        throw new SecretBackendUnsealRejectedException(
            "The key file does not hold an embedded-store data key (its root_token is not a base64 32-byte key). It was probably " +
            "written for HashiCorp Vault: set VAULT_URL to use that Vault, or point SECURITY_DIR at the embedded store's folder.");
    }
}
