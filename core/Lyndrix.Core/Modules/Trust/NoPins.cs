namespace Lyndrix.Core.Modules.Trust;

/// <summary>A catalog with no pins and no way to add one: for runtimes whose trust mode is <c>any</c>, and for
/// <c>lyndrix plugins verify</c> when no host can be asked.</summary>
internal sealed class NoPins(string? unavailable = null) : IPluginTrustCatalog
{
    public static NoPins Instance { get; } = new();

    public Task<PluginFolderDigest?> GetAsync(string id, CancellationToken cancellationToken) =>
        unavailable is null ? Task.FromResult<PluginFolderDigest?>(null) : throw new InvalidOperationException(unavailable);

    public Task SetAsync(PluginFolderDigest digest, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("Pins are kept by a running host: use 'lyndrix plugins trust' against it.");

    public Task<bool> RemoveAsync(string id, CancellationToken cancellationToken) => Task.FromResult(false);
}
