using Lyndrix.Core.Audit;

namespace Lyndrix.Core.Tests.Audit;

public sealed class AuditVerifierTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 4, 0, 0, TimeSpan.Zero);

    private static List<AuditEntry> Chain(int count, long firstSeq = 1, string? prev = null)
    {
        var list = new List<AuditEntry>();
        prev ??= AuditChain.Genesis;
        for (var i = 0; i < count; i++)
        {
            var seq = firstSeq + i;
            var at = T0.AddSeconds(seq);
            var hash = AuditChain.Compute(Key, seq, at.ToUnixTimeMilliseconds(), "admin", "m", "secret.read", "plugins/m#k", "ok", null, prev);
            list.Add(new AuditEntry(seq, at, "admin", "m", "secret.read", "plugins/m#k", "ok", null, prev, hash));
            prev = hash;
        }

        return list;
    }

    private static Task<AuditVerification> Verify(IEnumerable<AuditEntry> entries, AuditAnchor anchor, byte[]? key = null) =>
        AuditVerifier.VerifyAsync(entries.ToAsyncEnumerable(), key ?? Key, anchor, CancellationToken.None);

    [Test]
    public async Task An_intact_chain_verifies_against_its_anchor()
    {
        var chain = Chain(5);
        var result = await Verify(chain, AuditAnchor.Empty with { HeadSeq = 5, HeadHash = chain[^1].Hash });
        Assert.That(result.Intact, Is.True, result.Problem);
        Assert.That(result.Checked, Is.EqualTo(5));
    }

    [Test]
    public async Task Another_key_does_not_verify()
    {
        var result = await Verify(Chain(3), AuditAnchor.Empty, new byte[32]);
        Assert.That(result.Intact, Is.False);
        Assert.That(result.BrokenAt, Is.EqualTo(1));
    }

    [Test]
    public async Task Records_before_the_floor_are_skipped_and_removing_records_after_it_is_caught()
    {
        var chain = Chain(6);
        var floor = new AuditAnchor(3, chain[1].Hash, 6, chain[^1].Hash);
        Assert.That((await Verify(chain, floor)).Intact, Is.True, "old records that retention has not removed yet");
        Assert.That((await Verify(chain.Skip(2), floor)).Intact, Is.True, "retention removed them");
        var lostFirst = await Verify(chain.Skip(3), floor);
        Assert.That(lostFirst.Intact, Is.False);
        Assert.That(lostFirst.BrokenAt, Is.EqualTo(3));
    }

    [Test]
    public async Task A_renumbered_chain_after_a_deletion_is_caught()
    {
        var chain = Chain(4);
        // Record 2 removed and the rest renumbered to close the gap: the hashes cover the sequence number.
        var renumbered = new[] { chain[0], chain[2] with { Seq = 2, PrevHash = chain[0].Hash }, chain[3] with { Seq = 3 } };
        var result = await Verify(renumbered, AuditAnchor.Empty);
        Assert.That(result.Intact, Is.False);
        Assert.That(result.BrokenAt, Is.EqualTo(2));
    }

    [Test]
    public async Task A_chain_whose_record_at_the_anchored_head_differs_is_caught()
    {
        var original = Chain(5);
        var replaced = Chain(5).Select(e => e with { }).ToList();
        var anchor = AuditAnchor.Empty with { HeadSeq = 5, HeadHash = "f" + original[^1].Hash[1..] };
        Assert.That((await Verify(replaced, anchor)).Intact, Is.False);
    }

    [Test]
    public void Values_are_cut_to_their_column_without_control_characters()
    {
        Assert.Multiple(() =>
        {
            Assert.That(AuditChain.Fit("a\nb\u0000c", 10), Is.EqualTo("a b c"));
            Assert.That(AuditChain.Fit(new string('x', 600), AuditChain.MaxTarget), Has.Length.EqualTo(AuditChain.MaxTarget));
            Assert.That(AuditChain.Fit(new string('x', 63) + "😀", 64), Has.Length.EqualTo(63));
        });
    }
}
