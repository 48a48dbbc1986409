namespace Lyndrix.Core.Secrets;

/// <summary>Every secret path of mount <c>lyndrix</c>, as both backends list it (Vault's <c>LIST metadata/</c> walked
/// recursively, the embedded store's key table). Used by backups; module scopes never list.</summary>
internal interface IKeyValueListing
{
    /// <summary>Every path that has key metadata (live, soft-deleted or destroyed current version), in ordinal order.</summary>
    Task<IReadOnlyList<string>> ListPathsAsync(CancellationToken cancellationToken);

    /// <summary>The names directly under <paramref name="folder"/> (empty or ending in <c>/</c>), sub-folders ending in <c>/</c>,
    /// in ordinal order: one <c>LIST metadata/FOLDER</c>, what the doctor asks to prove the token may list.</summary>
    Task<IReadOnlyList<string>> ListFolderAsync(string folder, CancellationToken cancellationToken);
}
