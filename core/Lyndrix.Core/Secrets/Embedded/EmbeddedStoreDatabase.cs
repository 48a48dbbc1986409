using System.Globalization;
using Lyndrix.Core.Secrets.KeyFile;
using Microsoft.Data.Sqlite;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>
/// The SQLite file of the embedded store (format 2): one row per secret version, each encrypted on its own. Opened in WAL
/// mode with a busy timeout, so the host, the CLI and a second host on the same SECURITY_DIR coordinate through SQLite's
/// file locks; writes take the write lock up front (BEGIN IMMEDIATE) so two writers queue instead of failing on a lock upgrade.
/// <c>secure_delete</c> overwrites destroyed and pruned ciphertext instead of leaving it in free pages.
/// </summary>
internal static class EmbeddedStoreDatabase
{
    public const string Format = "lyndrix-embedded-secrets";
    public const int FormatVersion = 2;

    /// <summary>How long a statement waits for another process's lock before failing.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    private const string Schema = """
        CREATE TABLE store (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            format TEXT NOT NULL,
            format_version INTEGER NOT NULL,
            store_id TEXT NOT NULL,
            key_check BLOB NOT NULL,
            state TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            migrated_from TEXT
        ) STRICT;
        CREATE TABLE secrets (
            path TEXT PRIMARY KEY,
            current_version INTEGER NOT NULL,
            max_versions INTEGER NOT NULL,
            created_time TEXT NOT NULL,
            updated_time TEXT NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE versions (
            path TEXT NOT NULL,
            version INTEGER NOT NULL,
            created_time TEXT NOT NULL,
            deletion_time TEXT,
            destroyed INTEGER NOT NULL,
            ciphertext BLOB,
            PRIMARY KEY (path, version)
        ) STRICT, WITHOUT ROWID;
        """;

    /// <summary>Opens an existing store file for reading and writing.</summary>
    public static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(ConnectionString(path, SqliteOpenMode.ReadWrite));
        try
        {
            connection.Open();
            Execute(connection, string.Create(CultureInfo.InvariantCulture,
                $"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON;"));
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Creates a new store file, owner-only, with its schema and header. It is built under a temporary name and renamed
    /// into place, so no reader (a status check, another process) ever sees a file without its header.</summary>
    /// <param name="wal">False for a file that is renamed again afterwards (a migration's).</param>
    /// <exception cref="IOException">The file exists (another process created it meanwhile).</exception>
    public static void Create(string path, EmbeddedStoreHeader header, bool wal = true)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        AtomicFileWriter.EnsureDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            // An empty file is a valid empty database; creating it ourselves fixes its mode, which SQLite copies to -wal and -shm.
            using (var file = new FileStream(temp, options))
            {
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(file.SafeFileHandle, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
            }

            using (var connection = Open(temp))
            {
                Execute(connection, wal ? "PRAGMA journal_mode = WAL;" : "PRAGMA journal_mode = DELETE;");
                using var transaction = connection.BeginTransaction(deferred: false);
                Execute(connection, Schema, transaction);
                using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = """
                    INSERT INTO store (id, format, format_version, store_id, key_check, state, sequence, migrated_from)
                    VALUES (1, $format, $format_version, $store_id, $key_check, $state, $sequence, $migrated_from)
                    """;
                insert.Parameters.AddWithValue("$format", Format);
                insert.Parameters.AddWithValue("$format_version", FormatVersion);
                insert.Parameters.AddWithValue("$store_id", header.StoreId);
                insert.Parameters.AddWithValue("$key_check", header.KeyCheck);
                insert.Parameters.AddWithValue("$state", header.State);
                insert.Parameters.AddWithValue("$sequence", header.Sequence);
                insert.Parameters.AddWithValue("$migrated_from", (object?)header.MigratedFrom ?? DBNull.Value);
                insert.ExecuteNonQuery();
                transaction.Commit();
            }

            // The last close checkpointed and removed the write-ahead log, so the file alone is the whole database.
            File.Move(temp, full, overwrite: false);
        }
        catch
        {
            DeleteWithCompanions(temp);
            throw;
        }

        DirectorySync.TryFlush(directory);
    }

    /// <summary>Deletes a store file and whatever SQLite kept beside it.</summary>
    public static void DeleteWithCompanions(string path)
    {
        foreach (var file in CompanionFiles(path).Prepend(path))
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Reads the header without the data key.</summary>
    /// <exception cref="InvalidDataException">The file is not an embedded store of this format.</exception>
    public static EmbeddedStoreHeader ReadHeader(string path)
    {
        try
        {
            using var connection = Open(path);
            return ReadHeader(connection, path);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 11 /* CORRUPT */ or 26 /* NOTADB */ or 1 /* no such table */)
        {
            throw NotAStore(path, ex);
        }
    }

    public static EmbeddedStoreHeader ReadHeader(SqliteConnection connection, string path)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT format, format_version, store_id, key_check, state, sequence, migrated_from FROM store WHERE id = 1";
        using var reader = command.ExecuteReader();
        if (!reader.Read() || reader.GetString(0) != Format)
        {
            throw NotAStore(path, null);
        }

        if (reader.GetInt32(1) != FormatVersion)
        {
            throw new InvalidDataException(
                $"The embedded secret store {path} has format version {reader.GetInt32(1)}; this host reads version {FormatVersion}. " +
                "It was written by a newer host: run that version, or restore a backup made by this one.");
        }

        return new EmbeddedStoreHeader(reader.GetString(2), reader.GetFieldValue<byte[]>(3), reader.GetString(4), reader.GetInt64(5),
            reader.IsDBNull(6) ? null : reader.GetString(6));
    }

    /// <summary>Increments the commit sequence inside the caller's write transaction and returns the new value.</summary>
    public static long NextSequence(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "UPDATE store SET sequence = sequence + 1 WHERE id = 1 RETURNING sequence";
        return (long)command.ExecuteScalar()!;
    }

    public static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>The files SQLite keeps beside the store (write-ahead log and shared memory index).</summary>
    public static IEnumerable<string> CompanionFiles(string path) => [path + "-wal", path + "-shm", path + "-journal"];

    private static string ConnectionString(string path, SqliteOpenMode mode) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = mode,
        Cache = SqliteCacheMode.Private,

        // Connections are kept by EmbeddedStoreConnections; closing one here must really close the file (tests, seal, rename).
        Pooling = false,
        DefaultTimeout = (int)BusyTimeout.TotalSeconds,
    }.ToString();

    private static InvalidDataException NotAStore(string path, Exception? inner) =>
        new($"{path} is not an embedded secret store (not a '{Format}' SQLite database, or damaged). Restore it from the backup taken " +
            "together with vault_keys.enc.", inner);
}
