using System.Threading.Channels;
using Lyndrix.Core.Events;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Benchmarks;

internal static class EventBusBenchmarks
{
    private const int Subscribers = 4;

    public static async Task RunAsync()
    {
        await SyncEmitAsync();
        await AsyncDeliveryAsync();
    }

    /// <summary>Emit to inline subscribers vs invoking the same delegates directly; plus allocations per emit.</summary>
    private static async Task SyncEmitAsync()
    {
        long sink = 0;
        var handlers = Enumerable.Range(0, Subscribers).Select(_ => (Action<LyndrixEvent>)(e => sink += e.Topic.Length)).ToArray();
        var direct = new LyndrixEvent("bench:topic", EventPayload.Empty, DateTimeOffset.UnixEpoch, "core");
        await using var bus = new EventBus(NullLogger<EventBus>.Instance, TimeProvider.System);
        foreach (var (h, i) in handlers.Select((h, i) => (h, i)))
        {
            bus.Subscribe("bench:topic", $"owner{i}", h);
        }

        const int ops = 2_000_000;
        var baseline = Measure.MedianNanosPerOp(n =>
        {
            for (var i = 0; i < n; i++)
            {
                var ev = direct with { Timestamp = TimeProvider.System.GetUtcNow() };
                foreach (var h in handlers)
                {
                    h(ev);
                }
            }
        }, ops);
        var lyndrix = Measure.MedianNanosPerOp(n =>
        {
            for (var i = 0; i < n; i++)
            {
                bus.Emit("bench:topic");
            }
        }, ops);
        Measure.Report($"emit to {Subscribers} sync subscribers", baseline, lyndrix, 3.0);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100_000; i++)
        {
            bus.Emit("bench:topic");
        }

        var perEmit = (GC.GetAllocatedBytesForCurrentThread() - before) / 100_000.0;
        Console.WriteLine($"{"allocation per sync emit",-48} {perEmit:0.00} bytes (target 0)");
        GC.KeepAlive(sink);
    }

    /// <summary>Events through one queued subscriber vs a bare unbounded Channel with one reader.</summary>
    private static async Task AsyncDeliveryAsync()
    {
        const int ops = 500_000;
        var baseline = await Measure.MedianNanosPerOpAsync(async n =>
        {
            var channel = Channel.CreateUnbounded<LyndrixEvent>(new UnboundedChannelOptions { SingleReader = true });
            var received = 0;
            var done = new TaskCompletionSource();
            var reader = Task.Run(async () =>
            {
                while (await channel.Reader.WaitToReadAsync())
                {
                    while (channel.Reader.TryRead(out _))
                    {
                        if (++received == n)
                        {
                            done.SetResult();
                        }
                    }
                }
            });
            for (var i = 0; i < n; i++)
            {
                channel.Writer.TryWrite(new LyndrixEvent("bench:topic", EventPayload.Empty, TimeProvider.System.GetUtcNow(), "core"));
            }

            await done.Task;
            channel.Writer.Complete();
            await reader;
        }, ops, rounds: 5);

        var lyndrix = await Measure.MedianNanosPerOpAsync(async n =>
        {
            await using var bus = new EventBus(NullLogger<EventBus>.Instance, TimeProvider.System);
            var received = 0;
            var done = new TaskCompletionSource();
            bus.Subscribe("bench:topic", "owner", (_, _) =>
            {
                if (++received == n)
                {
                    done.SetResult();
                }

                return Task.CompletedTask;
            });
            for (var i = 0; i < n; i++)
            {
                bus.Emit("bench:topic");
            }

            await done.Task;
        }, ops, rounds: 5);

        // Throughput target: at least half of the bare channel, i.e. time per event at most 2x.
        Measure.Report("async delivery, 1 queued subscriber", baseline, lyndrix, 2.0);
    }
}
