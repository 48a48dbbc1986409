namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>What the files under SECURITY_DIR say about the embedded store (see <see cref="EmbeddedStoreIntegrity"/>).</summary>
internal enum EmbeddedStoreState
{
    /// <summary>No store, no key file, no mark: a new installation (or the leftover of an init that never wrote its key file).</summary>
    Uninitialized,

    /// <summary>Initialized, key file written, first unseal not done yet.</summary>
    Pending,

    /// <summary>A store in use.</summary>
    Ready,

    /// <summary>A format 1 <c>embedded_secrets.json</c> with its key file: migrated at the next unseal.</summary>
    NeedsMigration,
}
