using System.Globalization;
using System.Security.Cryptography;
using Lyndrix.Core.Secrets;

namespace Lyndrix.Core.Audit;

/// <summary>
/// The chain key and the anchor, kept at <c>core/audit-chain</c> in mount <c>lyndrix</c>: plugins cannot reach it (their scopes
/// are <c>plugins/&lt;id&gt;</c>), the database never holds it. Written with check-and-set, so two hosts starting together
/// agree on one key, and the head only moves forward.
/// </summary>
internal sealed class SecretStoreAuditAnchor(Func<IKeyValueStore> store)
{
    public const string Path = "core/audit-chain";

    private const int Attempts = 10;
    private byte[]? _key;

    /// <summary>The chain key, created on first use.</summary>
    public async Task<byte[]> GetKeyAsync(CancellationToken cancellationToken) =>
        _key ??= await SecretStoreKeys.GetOrCreateAsync(store(), Path, "chain_key", cancellationToken).ConfigureAwait(false);

    public async Task<AuditAnchor> GetAsync(CancellationToken cancellationToken)
    {
        var read = await store().ReadAsync(Path, cancellationToken).ConfigureAwait(false);
        return read.State == KvReadState.Found ? Parse(read.Data!) : AuditAnchor.Empty;
    }

    /// <summary>Moves the head to a newer record; an older one (another host was quicker) leaves it.</summary>
    public Task AdvanceHeadAsync(long seq, string hash, CancellationToken cancellationToken) =>
        UpdateAsync(a => seq > a.HeadSeq ? a with { HeadSeq = seq, HeadHash = hash } : null, cancellationToken);

    /// <summary>Moves the start of the chain (retention): records before <paramref name="seq"/> may go.</summary>
    public Task MoveFloorAsync(long seq, string prevHash, CancellationToken cancellationToken) =>
        UpdateAsync(a => seq > a.FloorSeq ? a with { FloorSeq = seq, FloorPrevHash = prevHash } : null, cancellationToken);

    private async Task UpdateAsync(Func<AuditAnchor, AuditAnchor?> change, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var read = await store().ReadAsync(Path, cancellationToken).ConfigureAwait(false);
            var data = read.State == KvReadState.Found ? new Dictionary<string, string>(read.Data!, StringComparer.Ordinal) : new(StringComparer.Ordinal);
            if (change(Parse(data)) is not { } next)
            {
                return;
            }

            data["floor_seq"] = next.FloorSeq.ToString(CultureInfo.InvariantCulture);
            data["floor_prev_hash"] = next.FloorPrevHash;
            data["head_seq"] = next.HeadSeq.ToString(CultureInfo.InvariantCulture);
            data["head_hash"] = next.HeadHash ?? "";
            try
            {
                await store().WriteAsync(Path, data, read.Version, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (KvCasMismatchException) when (attempt < Attempts)
            {
            }
        }
    }

    private static AuditAnchor Parse(IReadOnlyDictionary<string, string> data) => new(
        data.TryGetValue("floor_seq", out var f) && long.TryParse(f, CultureInfo.InvariantCulture, out var floor) ? floor : 1,
        data.GetValueOrDefault("floor_prev_hash") is { Length: 64 } fp ? fp : AuditChain.Genesis,
        data.TryGetValue("head_seq", out var h) && long.TryParse(h, CultureInfo.InvariantCulture, out var head) ? head : 0,
        data.GetValueOrDefault("head_hash") is { Length: 64 } hh ? hh : null);
}
