namespace Lyndrix.Core.Data;

/// <summary>
/// The statements that wait, on a Galera node, until the node has applied every write the cluster committed before them
/// (the bits of <c>wsrep_sync_wait</c>). Without them a node answers from its own state, which may lag the cluster by a few
/// milliseconds: a row written through another node a moment ago is not there yet.
/// </summary>
[Flags]
internal enum CausalWait
{
    /// <summary>SELECT, SHOW and BEGIN / START TRANSACTION. Statements inside a transaction do not wait again, so a
    /// transaction that must see the cluster's latest writes relies on its BEGIN waiting.</summary>
    Reads = 1,

    /// <summary>UPDATE and DELETE (autocommit ones; inside a transaction see <see cref="Reads"/>).</summary>
    UpdatesAndDeletes = 2,

    /// <summary>INSERT and REPLACE.</summary>
    Inserts = 4,
}
