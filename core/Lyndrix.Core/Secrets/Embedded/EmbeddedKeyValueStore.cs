using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>
/// KV v2 over the SQLite store: every version its own encrypted row; a write is one transaction that checks the current
/// version (check-and-set), adds the new version, prunes versions beyond <c>max_versions</c> and advances the commit
/// sequence; a read of the latest version touches one row. Microsoft.Data.Sqlite runs synchronously, so these methods
/// complete synchronously too (a write may wait up to the busy timeout for another process's lock).
/// </summary>
internal sealed class EmbeddedKeyValueStore(EmbeddedSecretBackend backend, TimeProvider time, int defaultMaxVersions)
    : IKeyValueStore, IKeyValueHistory, IKeyValueListing, IKeyValueTransfer
{
    private const string DeleteKeySql = "DELETE FROM versions WHERE path = $path; DELETE FROM secrets WHERE path = $path;";

    public Task<IReadOnlyList<string>> ListPathsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Use<IReadOnlyList<string>>(session =>
        {
            using var command = session.Connection.CreateCommand();
            command.CommandText = "SELECT path FROM secrets";
            var paths = new List<string>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                paths.Add(reader.GetString(0));
            }

            paths.Sort(StringComparer.Ordinal);
            return paths;
        }));
    }

    public async Task<IReadOnlyList<string>> ListFolderAsync(string folder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (folder.Length > 0 && !folder.EndsWith('/'))
        {
            folder += "/";
        }

        var paths = await ListPathsAsync(cancellationToken).ConfigureAwait(false);
        return paths.Where(p => p.StartsWith(folder, StringComparison.Ordinal)).Select(p => ChildName(p[folder.Length..]))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

        // "a/b/c" under the folder is its sub-folder "a/"; "c" is a key.
        static string ChildName(string rest) => rest.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? rest[..(slash + 1)] : rest;
    }

    public Task<KvReadResult> ReadAsync(string path, CancellationToken cancellationToken)
    {
        ValidatePath(path);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Use(session =>
        {
            var command = session.ReadLatest;
            command.Parameters[0].Value = path;
            return ReadRow(session, command, path);
        }));
    }

    public Task<KvReadResult> ReadVersionAsync(string path, int version, CancellationToken cancellationToken)
    {
        ValidatePath(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(version);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Use(session =>
        {
            var command = session.ReadVersion;
            command.Parameters[0].Value = path;
            command.Parameters[1].Value = version;
            return ReadRow(session, command, path);
        }));
    }

    public Task<int> WriteAsync(string path, IReadOnlyDictionary<string, string> data, int? cas, CancellationToken cancellationToken)
    {
        ValidatePath(path);
        ArgumentNullException.ThrowIfNull(data);
        cancellationToken.ThrowIfCancellationRequested();
        return WriteTransactionAsync(path, (session, transaction) => WriteVersion(session, transaction, path, data, cas), cancellationToken);
    }

    public IKeyValueImportBatch BeginImport() => new EmbeddedImportBatch(backend, this);

    public Task<IReadOnlyList<KvExportedSecret>> ExportAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Use<IReadOnlyList<KvExportedSecret>>(session =>
        {
            // One statement reads in one snapshot of the write-ahead log: every secret as of the same commit.
            using var command = session.Connection.CreateCommand();
            command.CommandText = """
                SELECT s.path, s.max_versions, s.created_time, s.updated_time, v.version, v.deletion_time, v.destroyed, v.ciphertext
                FROM secrets s JOIN versions v ON v.path = s.path AND v.version = (SELECT max(version) FROM versions WHERE path = s.path)
                ORDER BY s.path
                """;
            var secrets = new List<KvExportedSecret>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (!reader.IsDBNull(5) || reader.GetInt64(6) != 0)
                {
                    continue;
                }

                var (path, version) = (reader.GetString(0), reader.GetInt32(4));
                var data = Decrypt(session, path, version, reader.GetFieldValue<byte[]>(7));
                secrets.Add(new KvExportedSecret(path, data, version, reader.GetInt32(1), Parse(reader.GetString(2)), Parse(reader.GetString(3))));
            }

            // SQLite's BINARY order is the bytes of UTF-8, which is not .NET's ordinal (UTF-16) order for every character.
            secrets.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
            return secrets;
        }));
    }

    /// <summary>Adds a version of <paramref name="path"/> inside the caller's write transaction: checks <paramref name="cas"/>,
    /// prunes versions beyond <c>max_versions</c>. The one place a version is written (single writes and imports).</summary>
    /// <returns>The new version number.</returns>
    internal int WriteVersion(EmbeddedStoreSession session, SqliteTransaction transaction, string path, IReadOnlyDictionary<string, string> data, int? cas)
    {
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(data);
        try
        {
            var (current, maxVersions) = CurrentVersion(session, transaction, path);
            if (cas is { } expected && expected != current)
            {
                throw new KvCasMismatchException(path);
            }

            var version = current + 1;
            var now = Format(time.GetUtcNow());
            var sealedValue = EmbeddedCipher.Seal(session.Aead, plaintext, EmbeddedCipher.SecretAssociatedData(path, version));
            Execute(session, transaction, """
                INSERT INTO versions (path, version, created_time, deletion_time, destroyed, ciphertext) VALUES ($path, $version, $now, NULL, 0, $ciphertext);
                INSERT INTO secrets (path, current_version, max_versions, created_time, updated_time) VALUES ($path, $version, 0, $now, $now)
                    ON CONFLICT (path) DO UPDATE SET current_version = excluded.current_version, updated_time = excluded.updated_time;
                DELETE FROM versions WHERE path = $path AND version <= $version - $keep;
                """, ("$path", path), ("$version", version), ("$now", now), ("$ciphertext", sealedValue),
                ("$keep", maxVersions > 0 ? maxVersions : defaultMaxVersions));
            return version;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>Sets <c>max_versions</c> of <paramref name="path"/> (creating its key metadata) inside the caller's write transaction.</summary>
    internal void SetMaxVersions(EmbeddedStoreSession session, SqliteTransaction transaction, string path, int maxVersions) =>
        Execute(session, transaction, """
            INSERT INTO secrets (path, current_version, max_versions, created_time, updated_time) VALUES ($path, 0, $max, $now, $now)
                ON CONFLICT (path) DO UPDATE SET max_versions = excluded.max_versions, updated_time = excluded.updated_time
            """, ("$path", path), ("$max", maxVersions), ("$now", Format(time.GetUtcNow())));

    /// <summary>Removes every version and the key metadata of <paramref name="path"/> inside the caller's write transaction.</summary>
    internal static void DeleteKey(EmbeddedStoreSession session, SqliteTransaction transaction, string path) =>
        Execute(session, transaction, DeleteKeySql, ("$path", path));

    public Task DeleteAsync(string path, CancellationToken cancellationToken) => Change(path, DeleteKeySql, null, cancellationToken);

    public Task DeleteVersionsAsync(string path, IReadOnlyCollection<int> versions, CancellationToken cancellationToken) =>
        Change(path, "UPDATE versions SET deletion_time = $now WHERE path = $path AND version = $v AND deletion_time IS NULL AND destroyed = 0", versions,
            cancellationToken);

    public Task UndeleteVersionsAsync(string path, IReadOnlyCollection<int> versions, CancellationToken cancellationToken) =>
        Change(path, "UPDATE versions SET deletion_time = NULL WHERE path = $path AND version = $v AND destroyed = 0", versions, cancellationToken);

    public async Task DestroyVersionsAsync(string path, IReadOnlyCollection<int> versions, CancellationToken cancellationToken)
    {
        await Change(path, "UPDATE versions SET destroyed = 1, ciphertext = NULL WHERE path = $path AND version = $v", versions, cancellationToken)
            .ConfigureAwait(false);

        // secure_delete overwrote the pages; the write-ahead log may still hold copies of them until a checkpoint.
        Use(session =>
        {
            EmbeddedStoreDatabase.Execute(session.Connection, "PRAGMA wal_checkpoint(TRUNCATE);");
            return 0;
        });
    }

    public async Task SetMaxVersionsAsync(string path, int maxVersions, CancellationToken cancellationToken)
    {
        ValidatePath(path);
        ArgumentOutOfRangeException.ThrowIfNegative(maxVersions);
        await WriteTransactionAsync(path, (session, transaction) =>
        {
            SetMaxVersions(session, transaction, path, maxVersions);
            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task<KvMetadata?> ReadMetadataAsync(string path, CancellationToken cancellationToken)
    {
        ValidatePath(path);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Use(session =>
        {
            // One snapshot for both queries, so the versions match the key metadata.
            using var transaction = session.Connection.BeginTransaction(deferred: true);
            using var key = session.Connection.CreateCommand();
            key.Transaction = transaction;
            key.CommandText = "SELECT current_version, max_versions, created_time, updated_time FROM secrets WHERE path = $path";
            key.Parameters.AddWithValue("$path", path);
            int current, max;
            string created, updated;
            using (var reader = key.ExecuteReader())
            {
                if (!reader.Read())
                {
                    return null;
                }

                (current, max, created, updated) = (reader.GetInt32(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3));
            }

            using var list = session.Connection.CreateCommand();
            list.Transaction = transaction;
            list.CommandText = "SELECT version, created_time, deletion_time, destroyed FROM versions WHERE path = $path ORDER BY version";
            list.Parameters.AddWithValue("$path", path);
            var versions = new List<KvVersionInfo>();
            using (var reader = list.ExecuteReader())
            {
                while (reader.Read())
                {
                    versions.Add(new KvVersionInfo(reader.GetInt32(0), Parse(reader.GetString(1)), reader.IsDBNull(2) ? null : Parse(reader.GetString(2)),
                        reader.GetInt64(3) != 0));
                }
            }

            return new KvMetadata(current, versions.Count > 0 ? versions[0].Version : 0, max, Parse(created), Parse(updated), versions);
        }));
    }

    /// <param name="versions">The versions <paramref name="sql"/> runs for (as <c>$v</c>), or null to run it once for the path.</param>
    private Task Change(string path, string sql, IReadOnlyCollection<int>? versions, CancellationToken cancellationToken)
    {
        ValidatePath(path);
        if (versions is { Count: 0 })
        {
            throw new ArgumentException("No version number provided.", nameof(versions));
        }

        cancellationToken.ThrowIfCancellationRequested();
        return WriteTransactionAsync(path, (session, transaction) =>
        {
            var now = Format(time.GetUtcNow());
            if (versions is null)
            {
                Execute(session, transaction, sql, ("$path", path));
            }

            foreach (var version in versions?.Distinct() ?? [])
            {
                Execute(session, transaction, sql, ("$path", path), ("$v", version), ("$now", now));
            }

            return 0;
        }, cancellationToken);
    }

    /// <summary>Runs <paramref name="change"/> in a write transaction that also advances the commit sequence, then raises the
    /// rollback mark to it. The mark follows the commit: a crash in between leaves it behind the store, never ahead.</summary>
    private async Task<T> WriteTransactionAsync<T>(string path, Func<EmbeddedStoreSession, SqliteTransaction, T> change, CancellationToken cancellationToken)
    {
        var connections = backend.RequireConnections();
        var session = connections.Rent();
        var broken = true;
        T result;
        long sequence;
        try
        {
            using (var transaction = session.Connection.BeginTransaction(deferred: false))
            {
                result = change(session, transaction);
                sequence = EmbeddedStoreDatabase.NextSequence(session.Connection, transaction);
                transaction.Commit();
            }

            broken = false;
        }
        catch (KvCasMismatchException)
        {
            broken = false;
            throw;
        }
        catch (SqliteException ex) when (IsLocked(ex))
        {
            throw Locked(connections, $"'{path}'", ex);
        }
        finally
        {
            connections.Return(session, broken);
        }

        await backend.AdvanceMarkAsync(connections.StoreId, sequence, cancellationToken).ConfigureAwait(false);
        return result;
    }

    internal static bool IsLocked(SqliteException ex) => ex.SqliteErrorCode is 5 /* BUSY */ or 6 /* LOCKED */;

    /// <param name="what">What was being written ("'plugins/x'", "an import of 10,000 secrets").</param>
    internal static SecretBackendUnreachableException Locked(EmbeddedStoreConnections connections, string what, SqliteException ex) =>
        new($"The embedded secret store {connections.Path} stayed locked by another process for {EmbeddedStoreDatabase.BusyTimeout.TotalSeconds:0} s " +
            $"while writing {what}; nothing was written. Is a long-running command (a backup?) holding it?", ex);

    private T Use<T>(Func<EmbeddedStoreSession, T> work)
    {
        var connections = backend.RequireConnections();
        var session = connections.Rent();
        var broken = true;
        try
        {
            var result = work(session);
            broken = false;
            return result;
        }
        catch (InvalidDataException)
        {
            broken = false;
            throw;
        }
        finally
        {
            connections.Return(session, broken);
        }
    }

    private static (int Current, int MaxVersions) CurrentVersion(EmbeddedStoreSession session, SqliteTransaction transaction, string path)
    {
        using var command = session.Connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT current_version, max_versions FROM secrets WHERE path = $path";
        command.Parameters.AddWithValue("$path", path);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt32(0), reader.GetInt32(1)) : (0, 0);
    }

    private KvReadResult ReadRow(EmbeddedStoreSession session, SqliteCommand command, string path)
    {
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return KvReadResult.NotFound;
        }

        var version = reader.GetInt32(0);
        if (reader.GetInt64(2) != 0)
        {
            return new KvReadResult(KvReadState.Destroyed, null, version);
        }

        if (!reader.IsDBNull(1))
        {
            return new KvReadResult(KvReadState.SoftDeleted, null, version);
        }

        // GetFieldValue copies the column in one call; GetBytes would open an incremental blob handle per read (far slower).
        var sealedValue = reader.GetFieldValue<byte[]>(3);
        return new KvReadResult(KvReadState.Found, Decrypt(session, path, version, sealedValue), version);
    }

    private static Dictionary<string, string> Decrypt(EmbeddedStoreSession session, string path, int version, ReadOnlySpan<byte> sealedValue)
    {
        Span<byte> plaintext = default;
        try
        {
            plaintext = session.PlaintextBuffer(EmbeddedCipher.PlaintextLength(sealedValue.Length));
            EmbeddedCipher.Open(session.Aead, sealedValue, session.AssociatedData(path, version), plaintext);
            return ParseFields(plaintext);
        }
        catch (Exception ex) when (ex is CryptographicException or JsonException)
        {
            throw new InvalidDataException(
                $"Secret '{path}' (version {version}) in {session.Connection.DataSource} cannot be decrypted: the store was altered. Restore it " +
                "from a backup, or roll the secret back to an older version ('lyndrix secrets rollback').", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>The fields of a version: the JSON object of strings that <see cref="WriteAsync"/> serialized. Read with the reader
    /// rather than the serializer because it runs on every read.</summary>
    /// <exception cref="JsonException">Not an object of strings.</exception>
    private static Dictionary<string, string> ParseFields(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("The fields are not a JSON object.");
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            if (!reader.Read() || reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException("A field is not a string.");
            }

            fields[name] = reader.GetString()!;
        }

        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            throw new JsonException("The fields do not end where the object does.");
        }

        return fields;
    }

    private static void Execute(EmbeddedStoreSession session, SqliteTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = session.Connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }

    internal static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    internal static void ValidatePath(string path)
    {
        if (!IsValidPath(path))
        {
            throw new ArgumentException($"'{path}' is not a valid secret path: use segments separated by single '/', without '.', '..' or control characters.", nameof(path));
        }
    }

    // Runs on every read, so it scans once instead of splitting: no empty segment (covers a leading, trailing or doubled '/'),
    // no '.' or '..', no control character.
    private static bool IsValidPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path.Length > 512)
        {
            return false;
        }

        var segmentStart = 0;
        for (var i = 0; i <= path.Length; i++)
        {
            if (i == path.Length || path[i] == '/')
            {
                var segment = path.AsSpan(segmentStart, i - segmentStart);
                if (segment.Length == 0 || segment is "." or "..")
                {
                    return false;
                }

                segmentStart = i + 1;
            }
            else if (char.IsControl(path[i]))
            {
                return false;
            }
        }

        return true;
    }
}
