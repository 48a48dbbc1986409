namespace Lyndrix.VaultDouble;

public enum VaultFaultKind
{
    /// <summary>Answer with a status and an error envelope instead of handling the request.</summary>
    Status,

    /// <summary>Abort the connection without an answer.</summary>
    Drop,

    /// <summary>Wait, then handle the request normally.</summary>
    Latency,

    /// <summary>Answer 307 to the same path and query on another base address (a standby pointing at the active node).</summary>
    Redirect,

    /// <summary>Seal the cluster, then handle the request (which therefore meets the seal).</summary>
    Seal,

    /// <summary>Run an action against the double (a change someone else makes concurrently), then handle the request.</summary>
    Before,
}
