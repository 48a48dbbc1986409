namespace Lyndrix.Core.Secrets;

/// <summary>
/// Every secret at once, for backups and restores. The embedded store implements it with one SQLite transaction each way: an
/// export reads every live secret in one read snapshot (consistent by construction, no second pass), an import applies many
/// changes in one write transaction (one commit, one fsync and one rollback-mark advance instead of one per secret), which
/// turns a restore of 10,000 secrets from minutes into about a second. Vault has no transaction across keys, so its store does
/// not offer it (backups read it key by key and check versions again). Module scopes never use it.
/// </summary>
internal interface IKeyValueTransfer
{
    /// <summary>Every secret whose current version is live (neither soft-deleted nor destroyed), as of one moment, in ordinal order of path.</summary>
    Task<IReadOnlyList<KvExportedSecret>> ExportAsync(CancellationToken cancellationToken);

    /// <summary>Starts an import. It holds the store's write lock until it is committed or disposed: other writers wait (up to the
    /// busy timeout), readers go on seeing the state before it.</summary>
    IKeyValueImportBatch BeginImport();
}
