using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Auth;

/// <summary>
/// Runs password hashes on a few dedicated threads at lowered CPU priority, so a burst of logins takes at most those threads'
/// share of the processor and the rest of the API keeps answering. Admission (how many attempts may wait) is
/// <see cref="LoginAdmission"/>'s job; this pool only runs what it is given, in order.
/// </summary>
internal sealed partial class PasswordHashingPool : IDisposable
{
    /// <summary>Nice value of the hashing threads (0 is normal, 19 the lowest).</summary>
    private const int Nice = 10;

    private readonly BlockingCollection<WorkItem> _queue = new();
    private readonly Thread[] _threads;
    private readonly ILogger<PasswordHashingPool> _logger;
    private long _averageTicks;

    public PasswordHashingPool(ILogger<PasswordHashingPool> logger)
        : this(Math.Max(1, Environment.ProcessorCount / 2), logger)
    {
    }

    public PasswordHashingPool(int workers, ILogger<PasswordHashingPool> logger)
    {
        _logger = logger;
        Workers = workers;
        _threads = Enumerable.Range(0, workers).Select(i => new Thread(Work) { IsBackground = true, Name = $"lyndrix-hash-{i}" }).ToArray();
        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    public int Workers { get; }

    /// <summary>A moving average of one hash's duration (zero before the first).</summary>
    public TimeSpan AverageDuration => TimeSpan.FromTicks(Interlocked.Read(ref _averageTicks));

    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        var item = new WorkItem<T>(work, cancellationToken);
        _queue.Add(item, CancellationToken.None);
        return item.Task;
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        var joined = _threads.All(t => t.Join(TimeSpan.FromSeconds(5)));
        // A worker still inside a long hash keeps reading the queue: disposing it then would crash that thread.
        if (joined)
        {
            _queue.Dispose();
        }
    }

    private void Work()
    {
        if (!LowPriorityThreads.TryLowerCurrent(Nice))
        {
            LogNoPriority(_logger);
        }

        foreach (var item in _queue.GetConsumingEnumerable())
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            item.Run();
            var ticks = System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks;
            var average = Interlocked.Read(ref _averageTicks);
            Interlocked.Exchange(ref _averageTicks, average == 0 ? ticks : (average * 7 + ticks) / 8);
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Password hashing runs at normal CPU priority on this system")]
    private static partial void LogNoPriority(ILogger logger);

    private abstract class WorkItem
    {
        public abstract void Run();
    }

    private sealed class WorkItem<T>(Func<T> work, CancellationToken cancellationToken) : WorkItem
    {
        private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Task => _result.Task;

        public override void Run()
        {
            if (cancellationToken.IsCancellationRequested)
            {
                _result.TrySetCanceled(cancellationToken);
                return;
            }

            try
            {
                _result.TrySetResult(work());
            }
            catch (Exception ex)
            {
                _result.TrySetException(ex);
            }
        }
    }
}
