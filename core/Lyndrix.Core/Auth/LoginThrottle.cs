namespace Lyndrix.Core.Auth;

/// <summary>
/// Counts failed logins per user name and per client address in a sliding window. An attempt is counted as a failure
/// when it starts (so a burst of parallel guesses cannot slip past the limit) and taken back when it succeeds; a success
/// also clears the user's failures. When either count is at its limit the attempt is refused with the time until the
/// oldest failure leaves the window.
/// </summary>
internal sealed class LoginThrottle(AuthSettings settings, TimeProvider time)
{
    /// <summary>Keys with nothing in the window are dropped once the table grows past this, so it cannot grow without bound.</summary>
    private const int PruneThreshold = 10_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);

    /// <summary>Starts an attempt; false with the wait when the user or the client is over its limit.</summary>
    public bool TryBegin(string userKey, string clientKey, out TimeSpan retryAfter)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            Prune(now);
            var user = Window("u:" + userKey, now);
            var client = Window("c:" + clientKey, now);
            retryAfter = TimeSpan.Zero;
            if (user.Count >= settings.MaxFailuresPerUser)
            {
                retryAfter = user.Peek() + settings.ThrottleWindow - now;
            }

            if (client.Count >= settings.MaxFailuresPerClient)
            {
                var wait = client.Peek() + settings.ThrottleWindow - now;
                retryAfter = wait > retryAfter ? wait : retryAfter;
            }

            if (retryAfter > TimeSpan.Zero)
            {
                return false;
            }

            user.Enqueue(now);
            client.Enqueue(now);
            return true;
        }
    }

    /// <summary>The attempt succeeded: the user's failures are forgotten and the client's pending one is taken back.</summary>
    public void Succeeded(string userKey, string clientKey)
    {
        lock (_gate)
        {
            _failures.Remove("u:" + userKey);
            if (_failures.TryGetValue("c:" + clientKey, out var client) && client.Count > 0)
            {
                // Take back the newest entry: it is this attempt's (or one just like it).
                var kept = client.Take(client.Count - 1).ToArray();
                client.Clear();
                foreach (var t in kept)
                {
                    client.Enqueue(t);
                }
            }
        }
    }

    private Queue<DateTimeOffset> Window(string key, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out var queue))
        {
            queue = new Queue<DateTimeOffset>();
            _failures[key] = queue;
        }

        while (queue.Count > 0 && queue.Peek() + settings.ThrottleWindow <= now)
        {
            queue.Dequeue();
        }

        return queue;
    }

    private void Prune(DateTimeOffset now)
    {
        if (_failures.Count < PruneThreshold)
        {
            return;
        }

        foreach (var key in _failures.Where(p => p.Value.Count == 0 || p.Value.Last() + settings.ThrottleWindow <= now).Select(p => p.Key).ToArray())
        {
            _failures.Remove(key);
        }
    }
}
