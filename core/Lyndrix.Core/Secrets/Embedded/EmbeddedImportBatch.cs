using Microsoft.Data.Sqlite;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>
/// An import into the embedded store: one write transaction (BEGIN IMMEDIATE) on a rented session for the whole batch, each
/// secret written exactly as <see cref="EmbeddedKeyValueStore.WriteAsync"/> writes it (own version, own nonce, pruning), the
/// commit sequence advanced once and the rollback mark raised once after the commit. A failure anywhere before the commit,
/// or a dispose without it, rolls the transaction back: the store is as it was.
/// </summary>
internal sealed class EmbeddedImportBatch : IKeyValueImportBatch
{
    private readonly EmbeddedSecretBackend _backend;
    private readonly EmbeddedKeyValueStore _store;
    private readonly EmbeddedStoreConnections _connections;
    private readonly EmbeddedStoreSession _session;
    private readonly SqliteTransaction _transaction;
    private int _changes;
    private bool _done;

    public EmbeddedImportBatch(EmbeddedSecretBackend backend, EmbeddedKeyValueStore store)
    {
        _backend = backend;
        _store = store;
        _connections = backend.RequireConnections();
        _session = _connections.Rent();
        try
        {
            _transaction = _session.Connection.BeginTransaction(deferred: false);
        }
        catch (SqliteException ex) when (EmbeddedKeyValueStore.IsLocked(ex))
        {
            _connections.Return(_session, broken: true);
            throw EmbeddedKeyValueStore.Locked(_connections, "an import", ex);
        }
        catch
        {
            _connections.Return(_session, broken: true);
            throw;
        }
    }

    public void Write(string path, IReadOnlyDictionary<string, string> data, int? maxVersions)
    {
        EmbeddedKeyValueStore.ValidatePath(path);
        ArgumentNullException.ThrowIfNull(data);
        ObjectDisposedException.ThrowIf(_done, this);
        if (maxVersions is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(max, nameof(maxVersions));
            _store.SetMaxVersions(_session, _transaction, path, max);
        }

        _store.WriteVersion(_session, _transaction, path, data, cas: null);
        _changes++;
    }

    public void Delete(string path)
    {
        EmbeddedKeyValueStore.ValidatePath(path);
        ObjectDisposedException.ThrowIf(_done, this);
        EmbeddedKeyValueStore.DeleteKey(_session, _transaction, path);
        _changes++;
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (_changes == 0)
        {
            Dispose();
            return;
        }

        long sequence;
        try
        {
            sequence = EmbeddedStoreDatabase.NextSequence(_session.Connection, _transaction);
            _transaction.Commit();
        }
        catch (SqliteException ex) when (EmbeddedKeyValueStore.IsLocked(ex))
        {
            Dispose();
            throw EmbeddedKeyValueStore.Locked(_connections, $"an import of {_changes:N0} change(s)", ex);
        }
        catch
        {
            Dispose();
            throw;
        }

        _done = true;
        _transaction.Dispose();
        _connections.Return(_session);
        await _backend.AdvanceMarkAsync(_connections.StoreId, sequence, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Rolls back what was not committed and gives the connection back.</summary>
    public void Dispose()
    {
        if (_done)
        {
            return;
        }

        _done = true;
        try
        {
            _transaction.Dispose();
        }
        finally
        {
            // A rolled-back connection could be reused, but a failed statement may have left it in any state: close it.
            _connections.Return(_session, broken: true);
        }
    }
}
