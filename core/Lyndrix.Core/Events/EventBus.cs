using System.Collections.Concurrent;
using System.Threading.Channels;
using Lyndrix.Sdk.Events;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Events;

/// <summary>
/// The process-wide topic bus. Core-internal synchronous handlers run inline on the emitter (the cheap path);
/// asynchronous handlers, and every plugin handler, get a queue of their own so they see events in emit order
/// and a slow or failing handler delays nobody else. Readiness topics are sticky: their latest event is replayed
/// to subscribers that arrive later.
/// </summary>
internal sealed class EventBus : IAsyncDisposable
{
    public const string CoreOwner = Modules.PluginRules.CoreOwner;

    private static readonly HashSet<string> NoisyTopics = new(StringComparer.Ordinal) { "system:metrics_update" };

    /// <summary>Topics that withdraw a readiness topic: after them, late subscribers must not be told the old state.</summary>
    private static readonly Dictionary<string, string> StickyResets = new(StringComparer.Ordinal)
    {
        [CoreTopics.DbDisconnected] = CoreTopics.DbConnected,
    };

    private readonly ConcurrentDictionary<string, TopicEntry> _topics = new(StringComparer.Ordinal);
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly EventBusOptions _options;
    private volatile bool _disposed;

    public EventBus(ILogger<EventBus> logger, TimeProvider time, EventBusOptions? options = null)
    {
        _logger = logger;
        _time = time;
        _options = options ?? new EventBusOptions();
    }

    public IDisposable Subscribe(string topic, string owner, Action<LyndrixEvent> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Add(topic, owner, handler, () => new InlineSubscription(this, topic, owner, handler));
    }

    public IDisposable Subscribe(string topic, string owner, Func<LyndrixEvent, CancellationToken, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Add(topic, owner, handler, () => new QueuedSubscription(this, topic, owner, handler));
    }

    /// <summary>Emits an event. Never throws because of a subscriber.</summary>
    public void Emit(string topic, EventPayload? payload = null, string source = CoreOwner)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // One lookup on the hot path: an entry exists only for a topic that was validated when it was created.
        if (!_topics.TryGetValue(topic, out var entry))
        {
            TopicName.Validate(topic);
            if (CoreTopics.Sticky.Contains(topic) || StickyResets.ContainsKey(topic))
            {
                entry = _topics.GetOrAdd(topic, static t => new TopicEntry(t));
            }
        }

        var ev = new LyndrixEvent(topic, payload ?? EventPayload.Empty, _time.GetUtcNow(), source);
        Log(ev, entry?.LogLevel ?? LogLevelOf(topic));
        if (entry is null)
        {
            return;
        }

        if (entry.IsSticky)
        {
            lock (entry.Gate)
            {
                entry.Latest = ev;
                entry.HasLatest = true;
                Dispatch(entry.Subscriptions, ev);
            }
        }
        else
        {
            Dispatch(entry.Subscriptions, ev);
        }

        if (entry.Withdraws is { } withdrawn && _topics.TryGetValue(withdrawn, out var stale))
        {
            lock (stale.Gate)
            {
                stale.HasLatest = false;
                stale.Latest = default;
            }
        }
    }

    private static void Dispatch(Subscription[] subscriptions, in LyndrixEvent ev)
    {
        foreach (var subscription in subscriptions)
        {
            subscription.Deliver(ev);
        }
    }

    /// <summary>The latest event of a sticky topic, if it has fired.</summary>
    public bool TryGetLatest(string topic, out LyndrixEvent ev)
    {
        if (_topics.TryGetValue(topic, out var entry))
        {
            lock (entry.Gate)
            {
                ev = entry.Latest;
                return entry.HasLatest;
            }
        }

        ev = default;
        return false;
    }

    /// <summary>Waits for the next event on a topic, or returns the latest one of a sticky topic at once.</summary>
    public async Task<LyndrixEvent> WaitForAsync(string topic, CancellationToken cancellationToken)
    {
        var tcs = new TaskCompletionSource<LyndrixEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = Subscribe(topic, CoreOwner, ev => tcs.TrySetResult(ev));
        return await tcs.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Removes every subscription of an owner (a disabled or unloaded module).</summary>
    /// <returns>How many were removed.</returns>
    public int RemoveOwner(string owner)
    {
        var removed = 0;
        foreach (var entry in _topics.Values)
        {
            Subscription[] gone;
            lock (entry.Gate)
            {
                gone = entry.Subscriptions.Where(s => s.Owner == owner).ToArray();
                if (gone.Length == 0)
                {
                    continue;
                }

                entry.Subscriptions = entry.Subscriptions.Where(s => s.Owner != owner).ToArray();
            }

            foreach (var s in gone)
            {
                s.Stop();
            }

            removed += gone.Length;
        }

        return removed;
    }

    /// <summary>Number of subscriptions held by an owner.</summary>
    public int CountFor(string owner) => _topics.Values.Sum(e => e.Subscriptions.Count(s => s.Owner == owner));

    private IDisposable Add(string topic, string owner, Delegate handler, Func<Subscription> create)
    {
        TopicName.Validate(topic);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var entry = _topics.GetOrAdd(topic, static t => new TopicEntry(t));
        lock (entry.Gate)
        {
            var existing = Array.Find(entry.Subscriptions, s => s.Owner == owner && s.Handler.Equals(handler));
            if (existing is not null)
            {
                _logger.LogDebug("Duplicate subscription of {Owner} to {Topic} ignored", owner, topic);
                return existing;
            }

            var subscription = create();
            entry.Subscriptions = [.. entry.Subscriptions, subscription];
            if (entry.HasLatest)
            {
                subscription.Deliver(entry.Latest with { Replayed = true });
            }

            return subscription;
        }
    }

    private void Remove(Subscription subscription)
    {
        if (_topics.TryGetValue(subscription.Topic, out var entry))
        {
            lock (entry.Gate)
            {
                entry.Subscriptions = Array.FindAll(entry.Subscriptions, s => !ReferenceEquals(s, subscription));
            }
        }

        subscription.Stop();
    }

    private static LogLevel LogLevelOf(string topic) => NoisyTopics.Contains(topic) ? LogLevel.Debug : LogLevel.Information;

    private void Log(in LyndrixEvent ev, LogLevel level)
    {
        if (_logger.IsEnabled(level))
        {
            _logger.Log(level, "EVENT {Topic} from {Source} | {Payload}", ev.Topic, ev.Source, PayloadRedactor.Describe(ev.Topic, ev.Payload));
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        var all = _topics.Values.SelectMany(e => e.Subscriptions).ToArray();
        _topics.Clear();
        foreach (var s in all)
        {
            s.Stop();
        }

        await Task.WhenAll(all.OfType<QueuedSubscription>().Select(q => q.Completion)).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }

    private sealed class TopicEntry(string topic)
    {
        public readonly Lock Gate = new();
        public readonly bool IsSticky = CoreTopics.Sticky.Contains(topic);
        public readonly string? Withdraws = StickyResets.GetValueOrDefault(topic);
        public readonly LogLevel LogLevel = LogLevelOf(topic);
        public volatile Subscription[] Subscriptions = [];
        public LyndrixEvent Latest;
        public bool HasLatest;
    }

    private abstract class Subscription(EventBus bus, string topic, string owner) : IDisposable
    {
        public EventBus Bus { get; } = bus;
        public string Topic { get; } = topic;
        public string Owner { get; } = owner;
        public abstract Delegate Handler { get; }

        public abstract void Deliver(in LyndrixEvent ev);

        public abstract void Stop();

        public void Dispose() => Bus.Remove(this);

        protected void LogFailure(Exception ex, in LyndrixEvent ev) =>
            Bus._logger.LogError(ex, "Handler of {Owner} for {Topic} failed: {Message}", Owner, ev.Topic, ex.Message);
    }

    private sealed class InlineSubscription(EventBus bus, string topic, string owner, Action<LyndrixEvent> handler)
        : Subscription(bus, topic, owner)
    {
        private volatile bool _stopped;

        public override Delegate Handler => handler;

        public override void Deliver(in LyndrixEvent ev)
        {
            if (_stopped)
            {
                return;
            }

            try
            {
                handler(ev);
            }
            catch (Exception ex)
            {
                LogFailure(ex, ev);
            }
        }

        public override void Stop() => _stopped = true;
    }

    private sealed class QueuedSubscription : Subscription
    {
        private readonly Func<LyndrixEvent, CancellationToken, Task> _handler;
        private readonly Channel<LyndrixEvent> _queue =
            Channel.CreateUnbounded<LyndrixEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        private readonly CancellationTokenSource _stop = new();

        public QueuedSubscription(EventBus bus, string topic, string owner, Func<LyndrixEvent, CancellationToken, Task> handler)
            : base(bus, topic, owner)
        {
            _handler = handler;
            Completion = Task.Run(PumpAsync);
        }

        public Task Completion { get; }

        public override Delegate Handler => _handler;

        public override void Deliver(in LyndrixEvent ev) => _queue.Writer.TryWrite(ev);

        public override void Stop()
        {
            if (_queue.Writer.TryComplete())
            {
                _stop.Cancel();
            }
        }

        private async Task PumpAsync()
        {
            var token = _stop.Token;
            var timeout = Bus._options.HandlerTimeout;
            try
            {
                while (await _queue.Reader.WaitToReadAsync(token).ConfigureAwait(false))
                {
                    while (_queue.Reader.TryRead(out var ev))
                    {
                        try
                        {
                            var running = _handler(ev, token);
                            if (!running.IsCompleted)
                            {
                                await running.WaitAsync(timeout, token).ConfigureAwait(false);
                            }
                            else
                            {
                                await running.ConfigureAwait(false);
                            }
                        }
                        catch (TimeoutException)
                        {
                            Bus._logger.LogWarning("Handler of {Owner} for {Topic} ran longer than {Timeout}; abandoned, next event delivered",
                                Owner, ev.Topic, timeout);
                        }
                        catch (OperationCanceledException) when (token.IsCancellationRequested)
                        {
                            return;
                        }
                        catch (Exception ex)
                        {
                            LogFailure(ex, ev);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
        }
    }
}
