namespace Lyndrix.Core.Secrets;

/// <summary>
/// KV v2 version history of mount <c>lyndrix</c>, as both backends implement it (Vault natively, the embedded store in
/// SQLite): older versions, soft delete and undelete of versions, destroy, key metadata and the <c>max_versions</c> window.
/// Module scopes never use it (they read and write the latest version); operators do, through <c>lyndrix secrets</c>.
/// </summary>
internal interface IKeyValueHistory
{
    /// <summary>Reads one version. A version outside the kept window (pruned) or never written is <see cref="KvReadState.NotFound"/>.</summary>
    Task<KvReadResult> ReadVersionAsync(string path, int version, CancellationToken cancellationToken);

    /// <summary>Key metadata with every kept version, or null when the key does not exist.</summary>
    Task<KvMetadata?> ReadMetadataAsync(string path, CancellationToken cancellationToken);

    /// <summary>Soft-deletes versions (undoable). Unknown and destroyed versions are ignored, as Vault does.</summary>
    Task DeleteVersionsAsync(string path, IReadOnlyCollection<int> versions, CancellationToken cancellationToken);

    /// <summary>Restores soft-deleted versions.</summary>
    Task UndeleteVersionsAsync(string path, IReadOnlyCollection<int> versions, CancellationToken cancellationToken);

    /// <summary>Removes the data of versions for good; their metadata stays, marked destroyed.</summary>
    Task DestroyVersionsAsync(string path, IReadOnlyCollection<int> versions, CancellationToken cancellationToken);

    /// <summary>Sets how many versions of the key are kept (0: the store's default). Takes effect with the next write.</summary>
    Task SetMaxVersionsAsync(string path, int maxVersions, CancellationToken cancellationToken);
}
