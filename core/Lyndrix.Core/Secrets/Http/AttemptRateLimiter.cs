namespace Lyndrix.Core.Secrets.Http;

/// <summary>
/// A sliding-window limit on init/unseal attempts per client (5 per 60 s by default), so a master key cannot be guessed
/// through the API. Old entries are pruned on every call, so the table does not grow with the number of clients seen.
/// </summary>
internal sealed class AttemptRateLimiter(int attempts, TimeSpan window, TimeProvider time)
{
    private readonly Dictionary<string, Queue<DateTimeOffset>> _clients = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private DateTimeOffset _lastSweep = DateTimeOffset.MinValue;

    public int TrackedClients
    {
        get
        {
            lock (_gate)
            {
                return _clients.Count;
            }
        }
    }

    /// <returns>True when the attempt may go ahead (and is counted); otherwise how long until one may.</returns>
    public bool TryAcquire(string client, out TimeSpan retryAfter)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            SweepIfDue(now);
            if (!_clients.TryGetValue(client, out var stamps))
            {
                stamps = new Queue<DateTimeOffset>(attempts);
                _clients[client] = stamps;
            }

            Expire(stamps, now);
            if (stamps.Count >= attempts)
            {
                retryAfter = stamps.Peek() + window - now;
                return false;
            }

            stamps.Enqueue(now);
            retryAfter = TimeSpan.Zero;
            return true;
        }
    }

    private void SweepIfDue(DateTimeOffset now)
    {
        if (now - _lastSweep < window)
        {
            return;
        }

        _lastSweep = now;
        foreach (var (client, stamps) in _clients.ToArray())
        {
            Expire(stamps, now);
            if (stamps.Count == 0)
            {
                _clients.Remove(client);
            }
        }
    }

    private void Expire(Queue<DateTimeOffset> stamps, DateTimeOffset now)
    {
        while (stamps.Count > 0 && now - stamps.Peek() >= window)
        {
            stamps.Dequeue();
        }
    }
}
