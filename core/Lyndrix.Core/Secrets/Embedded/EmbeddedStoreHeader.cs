namespace Lyndrix.Core.Secrets.Embedded;

/// <summary>
/// The one-row <c>store</c> table: which store this is, the data key check, whether the first unseal completed, and the
/// commit sequence that the rollback mark (<see cref="EmbeddedStoreMark"/>) is compared with. Readable without the data key.
/// </summary>
/// <param name="State"><see cref="Pending"/> from init until the first unseal, then <see cref="Ready"/>.</param>
/// <param name="Sequence">Incremented by every transaction that changes a secret.</param>
/// <param name="MigratedFrom">SHA-256 of the format 1 file this store was migrated from, if any.</param>
internal sealed record EmbeddedStoreHeader(string StoreId, byte[] KeyCheck, string State, long Sequence, string? MigratedFrom)
{
    public const string Pending = "pending";
    public const string Ready = "ready";

    public bool IsPending => State == Pending;
}
