namespace Lyndrix.Core.Secrets.KeyFile;

/// <summary>
/// Replaces a file so that a reader sees either the old or the new content, never a mix, even across a crash or power loss:
/// write a temp file in the same folder (owner-only), flush it to disk, rename it over the target, then flush the folder
/// so the rename itself is durable. A failure at any point leaves the previous file untouched.
/// </summary>
internal sealed class AtomicFileWriter
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerOnly | UnixFileMode.UserExecute;

    private readonly Action<string>? _beforeCommit;

    /// <param name="beforeCommit">Test seam: runs with the temp file's path after it is written and flushed, before the
    /// rename. Throwing here simulates a crash between write and rename.</param>
    public AtomicFileWriter(Action<string>? beforeCommit = null) => _beforeCommit = beforeCommit;

    public static AtomicFileWriter Default { get; } = new();

    /// <param name="overwrite">False: fail with <see cref="IOException"/> if the target exists (checked atomically by the rename).</param>
    public async Task WriteAsync(string path, ReadOnlyMemory<byte> content, bool overwrite, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no parent folder.", nameof(path));
        EnsureDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnly;
            }

            var stream = new FileStream(temp, options);
            await using (stream.ConfigureAwait(false))
            {
                if (!OperatingSystem.IsWindows())
                {
                    // UnixCreateMode is filtered by the umask; make the mode explicit.
                    File.SetUnixFileMode(stream.SafeFileHandle, OwnerOnly);
                }

                await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            _beforeCommit?.Invoke(temp);
            File.Move(temp, full, overwrite);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }

        DirectorySync.TryFlush(directory);
    }

    /// <summary>Creates the folder owner-only when it does not exist yet (an existing folder keeps its mode).</summary>
    public static void EnsureDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
