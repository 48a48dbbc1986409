namespace Lyndrix.Core.Audit;

/// <summary>Walks the chain from the anchor's floor to its end and checks it against the anchor's head.</summary>
internal static class AuditVerifier
{
    public static async Task<AuditVerification> VerifyAsync(IAsyncEnumerable<AuditEntry> entries, byte[] key, AuditAnchor anchor,
        CancellationToken cancellationToken)
    {
        var expected = anchor.FloorSeq;
        var prev = anchor.FloorPrevHash;
        long count = 0;
        string? headHashSeen = null;
        await foreach (var e in entries.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (e.Seq < anchor.FloorSeq)
            {
                continue; // retention has moved the floor and will remove it
            }

            if (e.Seq != expected)
            {
                return AuditVerification.Broken(count, expected - 1, expected,
                    $"Record #{expected} is missing (the next one is #{e.Seq}): records were deleted from audit_log.");
            }

            if (!string.Equals(e.PrevHash, prev, StringComparison.Ordinal))
            {
                return AuditVerification.Broken(count, e.Seq, e.Seq,
                    $"Record #{e.Seq} does not follow the record before it (previous hash differs): a record was replaced or removed.");
            }

            if (!string.Equals(AuditChain.Compute(key, e), e.Hash, StringComparison.Ordinal))
            {
                return AuditVerification.Broken(count, e.Seq, e.Seq, $"Record #{e.Seq} was altered after it was written (its keyed hash does not match).");
            }

            if (e.Seq == anchor.HeadSeq)
            {
                headHashSeen = e.Hash;
            }

            prev = e.Hash;
            expected++;
            count++;
        }

        var last = expected - 1;
        if (anchor.HeadSeq > last)
        {
            return AuditVerification.Broken(count, last, last + 1,
                $"The secret store's anchor says record #{anchor.HeadSeq} was written, but audit_log ends at #{last}: the newest records were deleted.");
        }

        if (anchor.HeadSeq > 0 && !string.Equals(headHashSeen, anchor.HeadHash, StringComparison.Ordinal))
        {
            return AuditVerification.Broken(count, last, anchor.HeadSeq,
                $"Record #{anchor.HeadSeq} is not the one the secret store's anchor remembers: the trail was rewritten.");
        }

        return AuditVerification.Ok(count, last);
    }
}
