using System.Collections.Concurrent;
using System.Text.Json;
using Lyndrix.Core.Secrets.KeyFile;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>
/// The embedded store's file. One lock and one parsed copy per file path, shared by every instance in the process, so two
/// backends over the same folder (a restart inside a test, a CLI command inside the host) never interleave writes.
/// The parsed copy is re-read when the file's size or time stamp changes. One host process owns a SECURITY_DIR.
/// </summary>
internal sealed class EmbeddedStoreFile
{
    private static readonly ConcurrentDictionary<string, SharedState> Shared = new(StringComparer.Ordinal);
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly SharedState _state;
    private readonly AtomicFileWriter _writer;

    public EmbeddedStoreFile(string path, AtomicFileWriter? writer = null)
    {
        Path = System.IO.Path.GetFullPath(path);
        _state = Shared.GetOrAdd(Path, _ => new SharedState());
        _writer = writer ?? AtomicFileWriter.Default;
    }

    public string Path { get; }

    public bool Exists => File.Exists(Path);

    public async Task<IDisposable> LockAsync(CancellationToken cancellationToken)
    {
        await _state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(_state.Gate);
    }

    /// <summary>The current document, or null when the file does not exist. Call with the lock held.</summary>
    public EmbeddedStoreDocument? Load()
    {
        var info = new FileInfo(Path);
        if (!info.Exists)
        {
            _state.Cached = null;
            return null;
        }

        var stamp = (info.Length, info.LastWriteTimeUtc);
        if (_state.Cached is { } cached && _state.Stamp == stamp)
        {
            return cached;
        }

        EmbeddedStoreDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<EmbeddedStoreDocument>(File.ReadAllBytes(Path), Json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException(
                $"The embedded secret store {Path} is not valid JSON (line {ex.LineNumber + 1}): it was damaged or edited. Restore it " +
                "from the backup taken together with vault_keys.enc.", ex);
        }

        if (document is null || document.Format != EmbeddedStoreDocument.CurrentFormat || document.FormatVersion != EmbeddedStoreDocument.CurrentFormatVersion)
        {
            throw new InvalidDataException(
                $"The embedded secret store {Path} is not a '{EmbeddedStoreDocument.CurrentFormat}' version {EmbeddedStoreDocument.CurrentFormatVersion} " +
                "file. It was written by another program or a newer host; restore the right file from a backup.");
        }

        _state.Cached = document;
        _state.Stamp = stamp;
        return document;
    }

    /// <summary>Replaces the file atomically and durably. Call with the lock held; on failure the previous file and the cached
    /// copy stay as they were.</summary>
    public async Task SaveAsync(EmbeddedStoreDocument document, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(document, Json);
        await _writer.WriteAsync(Path, bytes, overwrite: true, cancellationToken).ConfigureAwait(false);
        var info = new FileInfo(Path);
        _state.Cached = document;
        _state.Stamp = (info.Length, info.LastWriteTimeUtc);
    }

    private sealed class SharedState
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public EmbeddedStoreDocument? Cached { get; set; }

        public (long Length, DateTime WriteTime) Stamp { get; set; }
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
