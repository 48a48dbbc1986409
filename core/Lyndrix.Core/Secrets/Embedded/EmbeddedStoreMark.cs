using System.Globalization;
using System.Text;
using Lyndrix.Core.Secrets.KeyFile;

namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>
/// <c>embedded_secrets.mark</c> beside the key file: the store's id and the highest commit sequence it is known to have
/// reached. A store whose sequence is lower was rolled back (an old copy put in place of the current one) and is refused
/// until an operator accepts it (<c>lyndrix secrets accept-restore</c>). The mark is written after each commit, so it may lag
/// the store after a crash or two concurrent writers, but it never runs ahead of it: a current store is never refused.
/// </summary>
internal sealed class EmbeddedStoreMark(string path, AtomicFileWriter? writer = null)
{
    private const string Header = "lyndrix-embedded-mark/1";

    private readonly AtomicFileWriter _writer = writer ?? AtomicFileWriter.Default;

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public bool Exists => File.Exists(Path);

    /// <returns>The recorded store id and sequence, or null when there is no mark.</returns>
    /// <exception cref="InvalidDataException">The mark is not one.</exception>
    public (string StoreId, long Sequence)? Read()
    {
        string text;
        try
        {
            text = File.ReadAllText(Path, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length != 3 || lines[0] != Header || lines[1].Length == 0
            || !long.TryParse(lines[2], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            throw new InvalidDataException(
                $"The rollback mark {Path} is damaged. If the store beside it is the one you mean to use, accept it with " +
                "'lyndrix secrets accept-restore'.");
        }

        return (lines[1], sequence);
    }

    /// <summary>Raises the mark to <paramref name="sequence"/> unless it already records as much for this store.</summary>
    public async Task AdvanceAsync(string storeId, long sequence, CancellationToken cancellationToken)
    {
        (string StoreId, long Sequence)? current;
        try
        {
            current = Read();
        }
        catch (InvalidDataException)
        {
            current = null;
        }

        if (current is { } c && c.StoreId == storeId && c.Sequence >= sequence)
        {
            return;
        }

        await WriteAsync(storeId, sequence, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets the mark, also downwards (a new store, a migration, an accepted restore).</summary>
    public Task WriteAsync(string storeId, long sequence, CancellationToken cancellationToken) =>
        _writer.WriteAsync(Path, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Header}\n{storeId}\n{sequence}\n")),
            overwrite: true, cancellationToken);

    public void Delete() => File.Delete(Path);
}
