using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>
/// The open store of an unsealed backend: a small pool of sessions (connection, prepared statements, AES-GCM under the data
/// key), so a read is one prepared statement on a warm connection. Disposed on seal; a session still in use is closed when
/// it comes back.
/// </summary>
internal sealed class EmbeddedStoreConnections : IDisposable
{
    private readonly ConcurrentBag<EmbeddedStoreSession> _idle = [];
    private readonly byte[] _key;
    private readonly int _maxIdle = Math.Max(4, Environment.ProcessorCount * 2);
    private volatile bool _disposed;

    public EmbeddedStoreConnections(string path, byte[] key, string storeId)
    {
        Path = path;
        _key = (byte[])key.Clone();
        StoreId = storeId;
    }

    public string Path { get; }

    /// <summary>The store this pool was opened on (the rollback mark records it).</summary>
    public string StoreId { get; }

    public EmbeddedStoreSession Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _idle.TryTake(out var session) ? session : new EmbeddedStoreSession(EmbeddedStoreDatabase.Open(Path), _key);
    }

    /// <param name="broken">The operation failed in a way that may have left the connection unusable: close it.</param>
    public void Return(EmbeddedStoreSession session, bool broken = false)
    {
        if (broken || _disposed || _idle.Count >= _maxIdle)
        {
            session.Dispose();
            return;
        }

        _idle.Add(session);
        if (_disposed && _idle.TryTake(out var late))
        {
            late.Dispose();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var session))
        {
            session.Dispose();
        }

        CryptographicOperations.ZeroMemory(_key);
    }
}
