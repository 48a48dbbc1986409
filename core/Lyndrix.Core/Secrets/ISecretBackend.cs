namespace Lyndrix.Core.Secrets;

/// <summary>
/// The seam under the secret lifecycle: HashiCorp Vault (when <c>VAULT_URL</c> is set) or the embedded store.
/// Both have the same lifecycle (uninitialized → sealed → unsealed), the same key file and a KV v2-like store.
/// </summary>
internal interface ISecretBackend
{
    /// <summary><c>vault</c> or <c>embedded</c>.</summary>
    string Kind { get; }

    /// <summary>Current state. Throws <see cref="SecretBackendUnreachableException"/> when the backend cannot be asked.</summary>
    Task<SecretBackendStatus> GetStatusAsync(CancellationToken cancellationToken);

    /// <summary>Initializes an uninitialized backend and returns the material the caller must store in <c>vault_keys.enc</c>
    /// before anything else depends on it. The backend stays sealed.</summary>
    Task<KeyMaterial> InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Unseals with the material from the key file (or a key an operator entered).</summary>
    Task<SecretBackendStatus> UnsealAsync(KeyMaterial material, CancellationToken cancellationToken);

    /// <summary>Authenticates (stored root token, <c>VAULT_TOKEN</c> or AppRole) and ensures the <c>lyndrix</c> KV v2 mount.
    /// Throws <see cref="SecretBackendAuthException"/> when the token cannot use the mount.</summary>
    Task OpenAsync(KeyMaterial? material, CancellationToken cancellationToken);

    /// <summary>The KV v2 store of mount <c>lyndrix</c>; usable after <see cref="OpenAsync"/>.</summary>
    IKeyValueStore Store { get; }
}

internal sealed record SecretBackendStatus(bool Initialized, bool Sealed, string? Version = null);

/// <summary>What <c>vault_keys.enc</c> holds: <c>{"root_token": ..., "unseal_keys": [...]}</c>. The embedded backend stores its
/// data key as <c>root_token</c>. A Vault with an auto-unseal seal has no unseal keys but recovery keys (kept as
/// <c>"recovery_keys"</c>, a field only such files carry).</summary>
internal sealed record KeyMaterial(string RootToken, IReadOnlyList<string> UnsealKeys, IReadOnlyList<string>? RecoveryKeys = null)
{
    public IReadOnlyList<string> RecoveryKeyList => RecoveryKeys ?? [];

    public override string ToString() => $"KeyMaterial(root_token=***, unseal_keys={UnsealKeys.Count} x ***, recovery_keys={RecoveryKeyList.Count} x ***)";
}

/// <summary>The backend could not be reached (connection refused, timeout, 5xx). Transient: retried with backoff.</summary>
internal sealed class SecretBackendUnreachableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The backend answered but refused: bad token or missing policy. The message says which operation and what to check.</summary>
internal sealed class SecretBackendAuthException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The backend is sealed; operations must wait for an unseal.</summary>
internal sealed class SecretBackendSealedException(string message) : Exception(message);
