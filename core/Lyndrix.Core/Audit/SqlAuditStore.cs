using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;
using Dapper;
using Lyndrix.Core.Data;

namespace Lyndrix.Core.Audit;

/// <summary>
/// The trail in <c>audit_log</c>, append-only: a batch is chained onto the newest record in one transaction. Hosts sharing
/// the database never write the same sequence number twice: it is the primary key, so the loser of a race (a duplicate key,
/// or a Galera certification conflict, or a deadlock) rolls back, reads the new head and chains again.
/// </summary>
internal sealed class SqlAuditStore(IDatabaseConnectionSource source)
{
    private const int AppendAttempts = 20;
    private const int PageSize = 1000;

    private const string Columns = "`seq` AS Seq, `at` AS At, `actor` AS Actor, `module` AS Module, `action` AS Action, `target` AS Target, " +
                                   "`outcome` AS Outcome, `detail` AS Detail, `prev_hash` AS PrevHash, `hash` AS Hash";

    /// <summary>Appends the records in order; returns the newest stored entry.</summary>
    public async Task<AuditEntry> AppendAsync(IReadOnlyList<TimedAuditRecord> batch, byte[] key, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(batch.Count);
        for (var attempt = 1; ; attempt++)
        {
            var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    try
                    {
                        // MariaDB: a locking read of the head queues this server's writers behind each other (without it, many racing
                        // writers keep colliding on the same number); SQLite's writer lock serialises them anyway.
                        var head = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
                            $"SELECT {Columns} FROM `audit_log` ORDER BY `seq` DESC LIMIT 1" + (source.Dialect.Kind == SqlDialectKind.MariaDb ? " FOR UPDATE" : ""),
                            transaction: transaction, cancellationToken: cancellationToken))
                            .ConfigureAwait(false);
                        var seq = head?.Seq ?? 0;
                        var prev = head?.Hash ?? AuditChain.Genesis;
                        AuditEntry? last = null;
                        foreach (var item in batch)
                        {
                            last = Chain(key, ++seq, item, prev);
                            prev = last.Hash;
                            await connection.ExecuteAsync(new CommandDefinition(
                                "INSERT INTO `audit_log` (`seq`, `at`, `actor`, `module`, `action`, `target`, `outcome`, `detail`, `prev_hash`, `hash`) " +
                                "VALUES (@Seq, @At, @Actor, @Module, @Action, @Target, @Outcome, @Detail, @PrevHash, @Hash)",
                                Row.From(last), transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                        }

                        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                        return last!;
                    }
                    catch (DbException ex) when (attempt < AppendAttempts && (source.Dialect.IsUniqueViolation(ex) || IsConflict(ex)))
                    {
                        await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
                    }
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 20 * attempt)), cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<AuditEntry>> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder($"SELECT {Columns} FROM `audit_log` WHERE 1 = 1");
        var parameters = new DynamicParameters();
        if (query.Since is { } since)
        {
            sql.Append(" AND `at` >= @Since");
            parameters.Add("Since", UnixMillis.From(since));
        }

        if (query.AfterSeq is { } after)
        {
            sql.Append(" AND `seq` > @After");
            parameters.Add("After", after);
        }

        foreach (var (column, value) in new[] { ("module", query.Module), ("action", query.Action), ("actor", query.Actor) })
        {
            if (value is not null)
            {
                sql.Append(" AND `").Append(column).Append("` = @").Append(column);
                parameters.Add(column, value);
            }
        }

        sql.Append(" ORDER BY `seq` LIMIT @Limit");
        parameters.Add("Limit", query.Limit);
        var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var rows = await connection.QueryAsync<Row>(new CommandDefinition(sql.ToString(), parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => r.ToEntry()).ToArray();
        }
    }

    /// <summary>Every record in chain order, a page at a time.</summary>
    public async IAsyncEnumerable<AuditEntry> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long after = long.MinValue;
        while (true)
        {
            Row[] page;
            var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                page = (await connection.QueryAsync<Row>(new CommandDefinition(
                    $"SELECT {Columns} FROM `audit_log` WHERE `seq` > @After ORDER BY `seq` LIMIT {PageSize}", new { After = after },
                    cancellationToken: cancellationToken)).ConfigureAwait(false)).ToArray();
            }

            foreach (var row in page)
            {
                yield return row.ToEntry();
            }

            if (page.Length < PageSize)
            {
                yield break;
            }

            after = page[^1].Seq;
        }
    }

    /// <summary>The record retention keeps first: the oldest at or after <paramref name="cutoff"/>, but never past the newest record.</summary>
    public async Task<AuditEntry?> RetentionFloorAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
                $"SELECT {Columns} FROM `audit_log` WHERE `at` >= @Cutoff ORDER BY `seq` LIMIT 1", new { Cutoff = UnixMillis.From(cutoff) },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            row ??= await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
                $"SELECT {Columns} FROM `audit_log` ORDER BY `seq` DESC LIMIT 1", cancellationToken: cancellationToken)).ConfigureAwait(false);
            return row?.ToEntry();
        }
    }

    /// <returns>How many records were removed.</returns>
    public async Task<int> DeleteBeforeAsync(long seq, CancellationToken cancellationToken)
    {
        var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM `audit_log` WHERE `seq` < @Seq", new { Seq = seq },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    private static AuditEntry Chain(byte[] key, long seq, TimedAuditRecord item, string prev)
    {
        var r = item.Record;
        var at = item.At.ToUnixTimeMilliseconds();
        var actor = AuditChain.Fit(r.Actor, AuditChain.MaxActor)!;
        var module = AuditChain.Fit(r.Module, AuditChain.MaxModule);
        var action = AuditChain.Fit(r.Action, AuditChain.MaxAction)!;
        var target = AuditChain.Fit(r.Target, AuditChain.MaxTarget);
        var outcome = AuditChain.Fit(r.Outcome, AuditChain.MaxOutcome)!;
        var detail = AuditChain.Fit(r.Detail, AuditChain.MaxDetail);
        var hash = AuditChain.Compute(key, seq, at, actor, module, action, target, outcome, detail, prev);
        return new AuditEntry(seq, UnixMillis.To(at), actor, module, action, target, outcome, detail, prev, hash);
    }

    // A deadlock or Galera certification conflict, a lock wait timeout, a node outside the primary component: nothing of the
    // batch was committed, so it is chained again.
    private static bool IsConflict(DbException ex) => ex is MySqlConnector.MySqlException e && WriteRetry.LeftNothingCommitted(e);

    private sealed class Row
    {
        public long Seq { get; set; }
        public long At { get; set; }
        public string Actor { get; set; } = "";
        public string? Module { get; set; }
        public string Action { get; set; } = "";
        public string? Target { get; set; }
        public string Outcome { get; set; } = "";
        public string? Detail { get; set; }
        public string PrevHash { get; set; } = "";
        public string Hash { get; set; } = "";

        public static Row From(AuditEntry e) => new()
        {
            Seq = e.Seq, At = UnixMillis.From(e.At), Actor = e.Actor, Module = e.Module, Action = e.Action, Target = e.Target,
            Outcome = e.Outcome, Detail = e.Detail, PrevHash = e.PrevHash, Hash = e.Hash,
        };

        public AuditEntry ToEntry() => new(Seq, UnixMillis.To(At), Actor, Module, Action, Target, Outcome, Detail, PrevHash, Hash);
    }
}
