using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>One open connection with its prepared read of the latest version and an AES-GCM instance under the data key.
/// Used by one operation at a time (rented from <see cref="EmbeddedStoreConnections"/>).</summary>
internal sealed class EmbeddedStoreSession : IDisposable
{
    private SqliteCommand? _readLatest;
    private SqliteCommand? _readVersion;

    public EmbeddedStoreSession(SqliteConnection connection, byte[] key)
    {
        Connection = connection;
        Aead = EmbeddedCipher.NewAead(key);
    }

    public SqliteConnection Connection { get; }

    public AesGcm Aead { get; }

    /// <summary>The newest version of a path: one row of the versions table.</summary>
    public SqliteCommand ReadLatest => _readLatest ??= Prepare(
        "SELECT version, deletion_time, destroyed, ciphertext FROM versions WHERE path = $path ORDER BY version DESC LIMIT 1", "$path");

    public SqliteCommand ReadVersion => _readVersion ??= Prepare(
        "SELECT version, deletion_time, destroyed, ciphertext FROM versions WHERE path = $path AND version = $version", "$path", "$version");

    public void Dispose()
    {
        _readLatest?.Dispose();
        _readVersion?.Dispose();
        Connection.Dispose();
        Aead.Dispose();
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }
}
