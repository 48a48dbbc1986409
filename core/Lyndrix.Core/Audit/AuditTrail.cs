using System.Threading.Channels;

namespace Lyndrix.Core.Audit;

/// <summary>
/// Where every part of the host reports what it audits. Reporting never waits and never fails: records queue in memory
/// (bounded) until <see cref="AuditWriter"/> chains them into the database. Should the queue overflow (the database gone for
/// long under load), the count of lost records is itself written into the trail as <c>audit.dropped</c>.
/// </summary>
internal sealed class AuditTrail(TimeProvider time)
{
    public const int Capacity = 10_000;

    private readonly Channel<TimedAuditRecord> _queue = Channel.CreateBounded<TimedAuditRecord>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true, SingleWriter = false });

    private long _dropped;

    public void Record(AuditRecord record)
    {
        if (!_queue.Writer.TryWrite(new TimedAuditRecord(record, time.GetUtcNow())))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    internal ChannelReader<TimedAuditRecord> Reader => _queue.Reader;

    /// <summary>Records lost since the last call.</summary>
    internal long TakeDropped() => Interlocked.Exchange(ref _dropped, 0);

    /// <summary>No more records (host stopping): the writer drains what is queued and ends.</summary>
    internal void Complete() => _queue.Writer.TryComplete();
}
