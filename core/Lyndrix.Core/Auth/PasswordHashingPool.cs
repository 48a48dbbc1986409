using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Auth;

/// <summary>
/// Runs password hashes on a few dedicated threads at lowered CPU priority, so a burst of logins takes at most those threads'
/// share of the processor and the rest of the API keeps answering. Admission (how many attempts may wait) is
/// <see cref="LoginAdmission"/>'s job; this pool runs what it is given in order, except that work submitted under
/// <see cref="Prioritize"/> (sign-ins from known devices) runs before any waiting ordinary work.
/// </summary>
internal sealed partial class PasswordHashingPool : IDisposable
{
    /// <summary>Nice value of the hashing threads (0 is normal, 19 the lowest).</summary>
    private const int Nice = 10;

    private static readonly AsyncLocal<bool> Prioritized = new();

    private readonly Lock _gate = new();
    private readonly Queue<WorkItem> _first = new();
    private readonly Queue<WorkItem> _queue = new();
    private readonly SemaphoreSlim _waiting = new(0);
    private bool _stopping;
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

    /// <summary>Hashes submitted from this asynchronous flow until the scope is disposed run before ordinary ones.</summary>
    public static IDisposable Prioritize()
    {
        Prioritized.Value = true;
        return new PriorityScope();
    }

    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        var item = new WorkItem<T>(work, cancellationToken);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            (Prioritized.Value ? _first : _queue).Enqueue(item);
        }

        _waiting.Release();
        return item.Task;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return;
            }

            _stopping = true;
        }

        _waiting.Release(_threads.Length);
        var joined = _threads.All(t => t.Join(TimeSpan.FromSeconds(5)));
        // A worker still inside a long hash waits on the semaphore afterwards: disposing it then would crash that thread.
        if (joined)
        {
            _waiting.Dispose();
        }
    }

    private WorkItem? Next()
    {
        _waiting.Wait();
        lock (_gate)
        {
            // Queued work is still run after Dispose (the queue drains), then each worker takes one of the stop releases.
            return _first.Count > 0 ? _first.Dequeue() : _queue.Count > 0 ? _queue.Dequeue() : null;
        }
    }

    private void Work()
    {
        if (!LowPriorityThreads.TryLowerCurrent(Nice))
        {
            LogNoPriority(_logger);
        }

        while (Next() is { } item)
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

    private sealed class PriorityScope : IDisposable
    {
        public void Dispose() => Prioritized.Value = false;
    }

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
