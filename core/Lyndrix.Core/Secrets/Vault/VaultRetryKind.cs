namespace Lyndrix.Core.Secrets.Vault;

/// <summary>Whether a call may be repeated after a failure that leaves its effect unknown.</summary>
internal enum VaultRetryKind
{
    /// <summary>Reads, lists, health, deletes: repeating changes nothing.</summary>
    Idempotent,

    /// <summary>A write guarded by check-and-set: a repeat after an applied write fails with a CAS mismatch instead of applying twice.</summary>
    SafeWrite,

    /// <summary>A write without a guard (init, unseal, login, plain writes): only retried when the request never left the machine.</summary>
    UnsafeWrite,
}
