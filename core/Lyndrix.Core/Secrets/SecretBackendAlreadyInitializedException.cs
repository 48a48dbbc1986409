namespace Lyndrix.Core.Secrets;

/// <summary>The backend answered an initialization with "already initialized": another host (or an operator) got there first.
/// Not a failure of this host when several share one Vault: it waits for the winner's key file or unseal.</summary>
internal sealed class SecretBackendAlreadyInitializedException(string message, Exception? inner = null) : Exception(message, inner);
