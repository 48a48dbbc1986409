namespace Lyndrix.Core.Audit;

/// <summary>
/// What the secret store remembers about the chain, out of reach of someone who can only write the database: where it
/// starts (<paramref name="FloorSeq"/> and the previous hash of that record; retention moves it) and the newest record it
/// has seen (<paramref name="HeadSeq"/>, <paramref name="HeadHash"/>; 0 before the first). Removing the newest records, or the
/// oldest ones, is detected against it.
/// </summary>
internal sealed record AuditAnchor(long FloorSeq, string FloorPrevHash, long HeadSeq, string? HeadHash)
{
    public static AuditAnchor Empty { get; } = new(1, AuditChain.Genesis, 0, null);
}
