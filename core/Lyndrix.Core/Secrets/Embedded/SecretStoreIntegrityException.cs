namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>
/// The embedded store's files do not belong together (a key file without its store, a store without its key file, a store
/// older than its rollback mark). The host refuses to start rather than create an empty store or serve old secrets; the
/// message names the files and how to restore them.
/// </summary>
/// <param name="acceptable">True when a deliberate restore explains it and <c>lyndrix secrets accept-restore</c> resolves it.</param>
internal sealed class SecretStoreIntegrityException(string message, bool acceptable) : Exception(message)
{
    public bool Acceptable { get; } = acceptable;
}
