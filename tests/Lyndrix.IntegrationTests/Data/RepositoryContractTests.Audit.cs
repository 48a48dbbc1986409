using Dapper;
using Lyndrix.Core.Audit;

namespace Lyndrix.IntegrationTests.Data;

/// <summary>The audit trail's table on each dialect: concurrent writers chain without gaps or duplicates, and a row changed or
/// removed by someone with database access breaks the chain where they touched it.</summary>
public abstract partial class RepositoryContractTests
{
    private static readonly byte[] AuditKey = Enumerable.Range(7, 32).Select(i => (byte)i).ToArray();

    private static TimedAuditRecord[] AuditBatch(string writer, int count) =>
        Enumerable.Range(0, count)
            .Select(i => new TimedAuditRecord(new AuditRecord(writer, "m." + writer, "secret.read", $"plugins/m.{writer}#k{i}", "ok"), DateTimeOffset.UtcNow))
            .ToArray();

    private async Task<AuditVerification> VerifyAuditAsync(SqlAuditStore store, AuditAnchor? anchor = null) =>
        await AuditVerifier.VerifyAsync(store.ReadAllAsync(CancellationToken.None), AuditKey, anchor ?? AuditAnchor.Empty, CancellationToken.None);

    [Test]
    public async Task Audit_writers_racing_for_the_head_chain_every_record_once()
    {
        // Two stores over their own pools stand for two hosts sharing the database.
        var first = new SqlAuditStore(Source);
        var second = new SqlAuditStore(Source);
        var writes = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            var store = i % 2 == 0 ? first : second;
            for (var b = 0; b < 5; b++)
            {
                await store.AppendAsync(AuditBatch("w" + i, 3), AuditKey, CancellationToken.None);
            }
        }));
        await Task.WhenAll(writes);

        var result = await VerifyAuditAsync(first);
        Assert.Multiple(async () =>
        {
            Assert.That(result.Intact, Is.True, result.Problem);
            Assert.That(result.Checked, Is.EqualTo(8 * 5 * 3));
            Assert.That(await CountAsync("SELECT COUNT(DISTINCT `seq`) FROM `audit_log`"), Is.EqualTo(120));
        });
    }

    [TestCase("UPDATE `audit_log` SET `outcome` = 'denied' WHERE `seq` = 4", 4L)]
    [TestCase("UPDATE `audit_log` SET `at` = `at` + 1 WHERE `seq` = 2", 2L)]
    [TestCase("DELETE FROM `audit_log` WHERE `seq` = 3", 3L)]
    [TestCase("UPDATE `audit_log` SET `seq` = `seq` + 100 WHERE `seq` = 5", 5L)]
    public async Task A_record_altered_or_deleted_in_the_database_breaks_the_chain_there(string attack, long brokenAt)
    {
        var store = new SqlAuditStore(Source);
        var last = await store.AppendAsync(AuditBatch("admin", 6), AuditKey, CancellationToken.None);
        var anchor = AuditAnchor.Empty with { HeadSeq = last.Seq, HeadHash = last.Hash };
        Assert.That((await VerifyAuditAsync(store, anchor)).Intact, Is.True);

        await using (var connection = await Source.OpenAsync(CancellationToken.None))
        {
            Assert.That(await connection.ExecuteAsync(attack), Is.EqualTo(1));
        }

        var result = await VerifyAuditAsync(store, anchor);
        Assert.Multiple(() =>
        {
            Assert.That(result.Intact, Is.False);
            Assert.That(result.BrokenAt, Is.EqualTo(brokenAt), result.Problem);
        });
    }

    [Test]
    public async Task Retention_keeps_the_chain_verifiable_from_its_new_floor()
    {
        var store = new SqlAuditStore(Source);
        var old = AuditBatch("old", 4).Select(r => r with { At = DateTimeOffset.UtcNow.AddDays(-40) }).ToArray();
        await store.AppendAsync(old, AuditKey, CancellationToken.None);
        var last = await store.AppendAsync(AuditBatch("new", 3), AuditKey, CancellationToken.None);

        var floor = await store.RetentionFloorAsync(DateTimeOffset.UtcNow.AddDays(-30), CancellationToken.None);
        Assert.That(floor!.Seq, Is.EqualTo(5));
        Assert.That(await store.DeleteBeforeAsync(floor.Seq, CancellationToken.None), Is.EqualTo(4));

        var anchor = new AuditAnchor(floor.Seq, floor.PrevHash, last.Seq, last.Hash);
        Assert.That((await VerifyAuditAsync(store, anchor)).Intact, Is.True);
        Assert.That((await VerifyAuditAsync(store)).Intact, Is.False, "without the moved floor the removal shows");
    }
}
