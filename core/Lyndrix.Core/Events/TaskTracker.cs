using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Events;

/// <summary>
/// Tracks background work per owner (the core or a module id): failures are logged centrally,
/// an owner's tasks are cancelled when it is disabled, and every task is cancelled at shutdown.
/// </summary>
internal sealed class TaskTracker(ILogger<TaskTracker> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, OwnerTasks> _owners = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();

    private sealed class OwnerTasks(CancellationTokenSource cts)
    {
        public CancellationTokenSource Cancellation { get; } = cts;
        public ConcurrentDictionary<Task, string> Running { get; } = new();
    }

    /// <summary>Number of tasks still running, for diagnostics and tests.</summary>
    public int RunningCount => _owners.Values.Sum(o => o.Running.Count);

    /// <summary>Cancellation token of an owner, cancelled by <see cref="CancelOwnerAsync"/> or shutdown.</summary>
    public CancellationToken TokenFor(string owner) => GetOwner(owner).Cancellation.Token;

    public Task Run(string owner, string name, Func<CancellationToken, Task> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var entry = GetOwner(owner);
        var token = entry.Cancellation.Token;
        var task = Task.Run(async () =>
        {
            try
            {
                await work(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                logger.LogDebug("Task {Owner}/{Name} cancelled", owner, name);
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "TASK_FAILED {Owner}/{Name}: {Message}", owner, name, ex.Message);
            }
        }, CancellationToken.None);
        entry.Running[task] = name;
        _ = task.ContinueWith(t => entry.Running.TryRemove(t, out _), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    /// <summary>Cancels an owner's tasks and waits for them up to <paramref name="timeout"/>.</summary>
    /// <returns>The names of tasks that did not stop in time.</returns>
    public async Task<IReadOnlyList<string>> CancelOwnerAsync(string owner, TimeSpan timeout)
    {
        if (!_owners.TryRemove(owner, out var entry))
        {
            return [];
        }

        await entry.Cancellation.CancelAsync().ConfigureAwait(false);
        var stragglers = await WaitAsync(entry, timeout).ConfigureAwait(false);
        foreach (var name in stragglers)
        {
            logger.LogWarning("Task {Owner}/{Name} ignored cancellation for {Timeout}; abandoned", owner, name, timeout);
        }

        entry.Cancellation.Dispose();
        return stragglers;
    }

    private static async Task<IReadOnlyList<string>> WaitAsync(OwnerTasks entry, TimeSpan timeout)
    {
        var tasks = entry.Running.Keys.ToArray();
        try
        {
            await Task.WhenAll(tasks).WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        return entry.Running.Where(kv => !kv.Key.IsCompleted).Select(kv => kv.Value).ToArray();
    }

    private OwnerTasks GetOwner(string owner) =>
        _owners.GetOrAdd(owner, _ => new OwnerTasks(CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token)));

    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync().ConfigureAwait(false);
        foreach (var owner in _owners.Keys.ToArray())
        {
            await CancelOwnerAsync(owner, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }

        _shutdown.Dispose();
    }
}
