using Lyndrix.Core.Crypto;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Auth;

/// <summary>
/// Runs password hashes on a few dedicated threads at a lowered CPU priority (<see cref="LowPriorityThreads"/>: <c>nice 10</c>
/// on Linux), so a burst of logins takes a small share of the CPU the API wants, yet a correct password is still checked in
/// time on busy cores (README, Benchmarks). Admission (how many attempts may wait) is <see cref="LoginAdmission"/>'s job; this pool runs what it is given
/// in order, except that work submitted under <see cref="Prioritize"/> (sign-ins from known devices) runs before any waiting
/// ordinary work. Work whose token is cancelled before it starts is dropped and its task cancelled at once; work already
/// running finishes (a hash cannot be interrupted), so the pool never runs more hashes than it has threads.
/// </summary>
internal sealed partial class PasswordHashingPool : IDisposable
{
    private static readonly AsyncLocal<bool> Prioritized = new();

    private readonly Lock _gate = new();
    private readonly Queue<WorkItem> _first = new();
    private readonly Queue<WorkItem> _queue = new();
    private readonly SemaphoreSlim _waiting = new(0);
    private bool _stopping;
    private readonly Thread[] _threads;
    private readonly ILogger<PasswordHashingPool> _logger;
    private readonly TimeSpan _keepMemoryFor;
    private long _averageTicks;
    private int _priorityReported;

    public PasswordHashingPool(ILogger<PasswordHashingPool> logger)
        : this(Math.Max(1, Environment.ProcessorCount / 2), logger)
    {
    }

    public PasswordHashingPool(int workers, ILogger<PasswordHashingPool> logger)
        : this(workers, TimeSpan.FromMinutes(1), logger)
    {
    }

    /// <param name="keepMemoryFor">How long a thread with nothing to do keeps its hash memory (<see cref="ThreadHashMemory"/>).</param>
    internal PasswordHashingPool(int workers, TimeSpan keepMemoryFor, ILogger<PasswordHashingPool> logger)
    {
        _logger = logger;
        _keepMemoryFor = keepMemoryFor;
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
        while (!_waiting.Wait(_keepMemoryFor))
        {
            ThreadHashMemory.Release(); // idle: the tens of MiB of one hash go back to the system
        }

        lock (_gate)
        {
            // Queued work is still run after Dispose (the queue drains), then each worker takes one of the stop releases.
            return _first.Count > 0 ? _first.Dequeue() : _queue.Count > 0 ? _queue.Dequeue() : null;
        }
    }

    private void Work()
    {
        var priority = LowPriorityThreads.LowerCurrent();
        ThreadHashMemory.KeepOnThisThread();
        if (Interlocked.Exchange(ref _priorityReported, 1) == 0)
        {
            if (priority == CpuPriority.Lowered)
            {
                LogLoweredPriority(_logger);
            }
            else
            {
                LogNormalPriority(_logger);
            }
        }

        while (Next() is { } item)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            if (!item.Run())
            {
                continue; // dropped: its caller gave up while it waited
            }

            var ticks = System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks;
            var average = Interlocked.Read(ref _averageTicks);
            Interlocked.Exchange(ref _averageTicks, average == 0 ? ticks : (average * 7 + ticks) / 8);
        }

        ThreadHashMemory.Release();
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information,
        Message = "Password hashing runs at normal priority: this system refused nice 10, so a login storm competes with other requests for the CPU")]
    private static partial void LogNormalPriority(ILogger logger);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Debug, Message = "Password hashing runs at nice 10")]
    private static partial void LogLoweredPriority(ILogger logger);

    private sealed class PriorityScope : IDisposable
    {
        public void Dispose() => Prioritized.Value = false;
    }

    private abstract class WorkItem
    {
        /// <returns>False when the work was dropped instead (cancelled before it started).</returns>
        public abstract bool Run();
    }

    private sealed class WorkItem<T> : WorkItem
    {
        private const int Queued = 0;
        private const int Started = 1;
        private const int Dropped = 2;

        private readonly Func<T> _work;
        private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration _cancellation;
        private int _state;

        public WorkItem(Func<T> work, CancellationToken cancellationToken)
        {
            _work = work;
            _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((WorkItem<T>)state!).Drop(token), this);
        }

        public Task<T> Task => _result.Task;

        public override bool Run()
        {
            _cancellation.Dispose();
            if (Interlocked.CompareExchange(ref _state, Started, Queued) != Queued)
            {
                return false;
            }

            try
            {
                _result.TrySetResult(_work());
            }
            catch (Exception ex)
            {
                _result.TrySetException(ex);
            }

            return true;
        }

        private void Drop(CancellationToken token)
        {
            if (Interlocked.CompareExchange(ref _state, Dropped, Queued) == Queued)
            {
                _result.TrySetCanceled(token);
            }
        }
    }
}
