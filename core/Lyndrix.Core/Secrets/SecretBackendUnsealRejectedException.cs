namespace Lyndrix.Core.Secrets;

/// <summary>The backend answered but refused the unseal material (it belongs to another store, or is not key material at
/// all). The message says which files to check; it never contains key material.</summary>
internal sealed class SecretBackendUnsealRejectedException(string message, Exception? inner = null) : Exception(message, inner);
