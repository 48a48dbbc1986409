using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>One open connection with its prepared read of the latest version and an AES-GCM instance under the data key.
/// Used by one operation at a time (rented from <see cref="EmbeddedStoreConnections"/>).</summary>
internal sealed class EmbeddedStoreSession : IDisposable
{
    private SqliteCommand? _readLatest;
    private SqliteCommand? _readVersion;
    private byte[] _plaintext = new byte[512];
    private byte[]? _associatedData;
    private string? _associatedPath;
    private int _associatedVersion;

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

    /// <summary>Exactly <paramref name="length"/> bytes for a decrypted record; the caller zeroes them after use.</summary>
    public Span<byte> PlaintextBuffer(int length) =>
        (_plaintext.Length >= length ? _plaintext : _plaintext = new byte[Math.Max(length, _plaintext.Length * 2)]).AsSpan(0, length);

    /// <summary>The associated data of a secret version, remembered for the last one asked (a module reads the same secret again and again).</summary>
    public byte[] AssociatedData(string path, int version)
    {
        if (_associatedData is null || _associatedVersion != version || !string.Equals(_associatedPath, path, StringComparison.Ordinal))
        {
            (_associatedData, _associatedPath, _associatedVersion) = (EmbeddedCipher.SecretAssociatedData(path, version), path, version);
        }

        return _associatedData;
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_plaintext);
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
