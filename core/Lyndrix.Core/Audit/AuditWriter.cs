using Lyndrix.Core.Data;
using Lyndrix.Core.Events;
using Lyndrix.Core.Security;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Audit;

/// <summary>
/// Chains queued records into <c>audit_log</c> once the secret store (the chain key) and the database are ready. A batch the
/// database refuses stays in memory and is written again, in order, when it answers. The anchor in the secret store follows
/// the head whenever the queue is empty, and at least every <see cref="AnchorInterval"/> under load. Retention runs hourly.
/// </summary>
internal sealed class AuditWriter(
    AuditTrail trail,
    SqlAuditStore store,
    SecretStoreAuditAnchor anchor,
    AuditSettings settings,
    EventBus bus,
    DatabaseCredentialRedactor redactor,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    public static readonly TimeSpan AnchorInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RetentionInterval = TimeSpan.FromHours(1);
    private const int BatchSize = 500;

    private readonly ILogger _logger = loggers.CreateLogger(SecurityLog.Category);
    private AuditEntry? _unanchored;
    private DateTimeOffset _anchoredAt;
    private DateTimeOffset _retentionDue;
    private volatile bool _writing;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Drain first (bounded), then cancel: records reported just before shutdown still reach the database.
        trail.Complete();
        if (_writing && ExecuteTask is { } running)
        {
            await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(5), time, cancellationToken)).ConfigureAwait(false);
        }

        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await bus.WaitForAsync(CoreTopics.VaultReadyForData, stoppingToken).ConfigureAwait(false);
            await bus.WaitForAsync(CoreTopics.DbConnected, stoppingToken).ConfigureAwait(false);
            var key = await RetryAsync(anchor.GetKeyAsync, "reading the chain key", 0, stoppingToken).ConfigureAwait(false);
            var batch = new List<TimedAuditRecord>(BatchSize + 1);
            _writing = true;
            while (await trail.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                if (trail.TakeDropped() is > 0 and var dropped)
                {
                    SecurityLog.AuditRecordsDropped(_logger, dropped);
                    batch.Add(new TimedAuditRecord(new AuditRecord("system", null, "audit.dropped", null, "lost",
                        $"{dropped} record(s) were lost: the queue of {AuditTrail.Capacity} was full"), time.GetUtcNow()));
                }

                while (batch.Count < BatchSize && trail.Reader.TryRead(out var record))
                {
                    batch.Add(record);
                }

                _unanchored = await RetryAsync(ct => store.AppendAsync(batch, key, ct), "writing the audit trail", batch.Count, stoppingToken).ConfigureAwait(false);
                batch.Clear();
                if (trail.Reader.Count == 0 || time.GetUtcNow() - _anchoredAt >= AnchorInterval)
                {
                    await AnchorAsync(stoppingToken).ConfigureAwait(false);
                }

                await RetainAsync(stoppingToken).ConfigureAwait(false);
            }

            await AnchorAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task AnchorAsync(CancellationToken cancellationToken)
    {
        if (_unanchored is not { } head)
        {
            return;
        }

        try
        {
            await anchor.AdvanceHeadAsync(head.Seq, head.Hash, cancellationToken).ConfigureAwait(false);
            _unanchored = null;
            _anchoredAt = time.GetUtcNow();
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            SecurityLog.AuditAnchorFailed(_logger, head.Seq, ex.GetType().Name);
        }
    }

    private async Task RetainAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (settings.RetentionDays == 0 || now < _retentionDue)
        {
            return;
        }

        _retentionDue = now + RetentionInterval;
        try
        {
            if (await store.RetentionFloorAsync(now.AddDays(-settings.RetentionDays), cancellationToken).ConfigureAwait(false) is not { } floor)
            {
                return;
            }

            var current = await anchor.GetAsync(cancellationToken).ConfigureAwait(false);
            if (floor.Seq <= current.FloorSeq)
            {
                return;
            }

            // The anchor moves first: a crash between the two steps leaves old records verify skips, never a false alarm.
            await anchor.MoveFloorAsync(floor.Seq, floor.PrevHash, cancellationToken).ConfigureAwait(false);
            var removed = await store.DeleteBeforeAsync(floor.Seq, cancellationToken).ConfigureAwait(false);
            SecurityLog.AuditRetention(_logger, removed, settings.RetentionDays, floor.Seq);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            SecurityLog.AuditWriteFailed(_logger, 0, "retention: " + redactor.Describe(ex));
        }
    }

    private async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> operation, string what, int count, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                return await operation(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                SecurityLog.AuditWriteFailed(_logger, count, what + ": " + redactor.Describe(ex));
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }
}
