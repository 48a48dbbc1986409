namespace Lyndrix.Core.Secrets;

/// <summary>An open batch of <see cref="IKeyValueTransfer.BeginImport"/>: nothing it does is visible until <see cref="CommitAsync"/>;
/// disposing it uncommitted drops every change.</summary>
internal interface IKeyValueImportBatch : IDisposable
{
    /// <summary>Adds a new version of <paramref name="path"/> (as an unconditional write), first setting its
    /// <c>max_versions</c> when <paramref name="maxVersions"/> is given.</summary>
    void Write(string path, IReadOnlyDictionary<string, string> data, int? maxVersions);

    /// <summary>Removes every version and the key metadata of <paramref name="path"/>.</summary>
    void Delete(string path);

    /// <summary>Makes every change visible at once.</summary>
    Task CommitAsync(CancellationToken cancellationToken);
}
