using Lyndrix.Core.Events;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Hosting;

namespace Lyndrix.Core.Security;

/// <summary>
/// The stream's memory: a ring of the last <see cref="Capacity"/> security events, filled by an inline subscription (the
/// emitter pays a lock and a store, nothing else). Readers keep their own position and read at their own pace; one that
/// falls behind by more than the ring holds is told how many it missed. No reader can slow an emitter.
/// </summary>
internal sealed class SecurityEventFeed : IHostedService, IDisposable
{
    public const int Capacity = 1024;

    private readonly SecurityEvent?[] _ring = new SecurityEvent?[Capacity];
    private readonly Lock _gate = new();
    private readonly List<IDisposable> _subscriptions = [];
    private long _last;
    private TaskCompletionSource? _signal;

    public SecurityEventFeed(EventBus bus)
    {
        foreach (var topic in SecurityTopics.Streamed)
        {
            _subscriptions.Add(bus.Subscribe(topic, EventBus.CoreOwner, Append));
        }
    }

    /// <summary>The id of the newest event (0 before the first).</summary>
    public long LastId
    {
        get
        {
            lock (_gate)
            {
                return _last;
            }
        }
    }

    private void Append(LyndrixEvent ev)
    {
        var json = PayloadRedactor.Describe(ev.Topic, ev.Payload);
        TaskCompletionSource? signal;
        lock (_gate)
        {
            var id = ++_last;
            _ring[id % Capacity] = new SecurityEvent(id, ev.Topic, ev.Source, ev.Timestamp, json, ev.Replayed);
            signal = _signal;
            _signal = null;
        }

        signal?.TrySetResult();
    }

    /// <summary>Events after <paramref name="after"/> (at most <paramref name="max"/>), and how many between it and the oldest
    /// still held were overwritten.</summary>
    public IReadOnlyList<SecurityEvent> ReadAfter(long after, int max, out long missed)
    {
        lock (_gate)
        {
            after = Math.Clamp(after, 0, _last);
            var oldest = Math.Max(1, _last - Capacity + 1);
            missed = Math.Max(0, oldest - after - 1);
            var from = Math.Max(after + 1, oldest);
            var count = (int)Math.Min(max, _last - from + 1);
            var result = new SecurityEvent[Math.Max(0, count)];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = _ring[(from + i) % Capacity]!;
            }

            return result;
        }
    }

    /// <summary>Completes when an event newer than <paramref name="after"/> exists.</summary>
    public Task WaitAsync(long after, CancellationToken cancellationToken)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            if (_last > after)
            {
                return Task.CompletedTask;
            }

            signal = _signal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return signal.Task.WaitAsync(cancellationToken);
    }

    // A hosted service only so the host creates it before the boot emits its first event.
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var s in _subscriptions)
        {
            s.Dispose();
        }
    }
}
