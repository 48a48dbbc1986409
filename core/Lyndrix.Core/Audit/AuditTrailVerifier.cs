namespace Lyndrix.Core.Audit;

/// <summary>Verifies the whole trail against the secret store's key and anchor (for <c>GET /api/audit/verify</c> and the doctor).</summary>
internal sealed class AuditTrailVerifier(SqlAuditStore store, SecretStoreAuditAnchor anchor)
{
    public async Task<(AuditVerification Result, AuditAnchor Anchor)> RunAsync(CancellationToken cancellationToken)
    {
        var key = await anchor.GetKeyAsync(cancellationToken).ConfigureAwait(false);
        var mark = await anchor.GetAsync(cancellationToken).ConfigureAwait(false);
        var result = await AuditVerifier.VerifyAsync(store.ReadAllAsync(cancellationToken), key, mark, cancellationToken).ConfigureAwait(false);
        return (result, mark);
    }
}
