namespace Lyndrix.Core.Modules.Trust;

/// <summary>Pinned plugin folders: the id, version and SHA-256 of every file an administrator approved.</summary>
internal interface IPluginTrustCatalog
{
    Task<PluginFolderDigest?> GetAsync(string id, CancellationToken cancellationToken);

    Task SetAsync(PluginFolderDigest digest, CancellationToken cancellationToken);

    /// <returns>Whether a pin was removed.</returns>
    Task<bool> RemoveAsync(string id, CancellationToken cancellationToken);
}
