namespace Lyndrix.Core.Auth;

/// <summary>
/// Login throttling that counts only failures and cannot be turned against an account's owner:
/// <list type="bullet">
/// <item>Attempts of one account run one after another (<see cref="WaitTurnAsync"/>), so a burst of parallel guesses meets
/// the limit like a sequence would, and a burst of correct logins simply queues.</item>
/// <item>An account with <c>LYNDRIX_LOGIN_MAX_FAILURES_PER_USER</c> failures in the window is refused for everyone until the
/// oldest leaves the window; a success clears them.</item>
/// <item>A client (address, IPv6 /64) with <c>LYNDRIX_LOGIN_MAX_FAILURES_PER_CLIENT</c> failures in the window may not try
/// further accounts, except those that signed in successfully from that client before: an attacker who shares an address
/// with the owner (a proxy that is not in LYNDRIX_TRUSTED_PROXIES, a NAT) can therefore not lock the owner out with
/// guesses against other accounts; guesses against the owner's own account meet the per-account limit.</item>
/// <item>A client that presents a device cookie of the account (<see cref="LoginDeviceCookies"/>) is exempt from both limits
/// above: its failures count against that device alone, which <c>LYNDRIX_LOGIN_MAX_FAILURES_PER_USER</c> failures in the window
/// lock (it is then an unknown client again), and a success clears only the device's failures, so the owner signing in during
/// a storm hands the guessers no fresh attempts. Its attempts queue on a turn of their own (<see cref="DeviceTurn"/>).</item>
/// </list>
/// All tables are bounded: entries with nothing in the window are pruned, and known sign-ins are kept for
/// <see cref="KnownSignInLifetime"/>.
/// </summary>
internal sealed class LoginThrottle(AuthSettings settings, TimeProvider time)
{
    /// <summary>Attempts of one account that may wait for their turn; more are refused at once.</summary>
    public const int MaxWaitingPerAccount = 64;

    public static readonly TimeSpan KnownSignInLifetime = TimeSpan.FromDays(30);

    private const int PruneThreshold = 10_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _knownSignIns = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AccountTurn> _turns = new(StringComparer.Ordinal);

    /// <summary>Waits until no other attempt of this account is running.</summary>
    /// <returns>The turn, to dispose when the attempt is over; null when too many attempts of the account already wait.</returns>
    public async Task<IDisposable?> WaitTurnAsync(string userKey, CancellationToken cancellationToken)
    {
        AccountTurn turn;
        lock (_gate)
        {
            if (!_turns.TryGetValue(userKey, out turn!))
            {
                turn = new AccountTurn(userKey);
                _turns[userKey] = turn;
            }

            if (turn.Holders >= MaxWaitingPerAccount + 1)
            {
                return null;
            }

            turn.Holders++;
        }

        try
        {
            await turn.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(turn, acquired: false);
            throw;
        }

        return new TurnLease(this, turn);
    }

    /// <summary>Whether the attempt may go ahead; otherwise how long until it may.</summary>
    public bool IsAllowed(string userKey, string clientKey, out TimeSpan retryAfter)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            Prune(now);
            var user = Window("u:" + userKey, now);
            retryAfter = TimeSpan.Zero;
            if (user.Count >= settings.MaxFailuresPerUser)
            {
                retryAfter = user.Peek() + settings.ThrottleWindow - now;
                return false;
            }

            var client = Window("c:" + clientKey, now);
            if (client.Count >= settings.MaxFailuresPerClient && !IsKnown(Pair(clientKey, userKey), now))
            {
                retryAfter = client.Peek() + settings.ThrottleWindow - now;
                return false;
            }

            return true;
        }
    }

    /// <summary>The turn key of an account's attempts from known devices: one at a time per account, apart from the queue of
    /// unknown clients' attempts that a storm fills.</summary>
    public static string DeviceTurn(string userKey) => "device\n" + userKey;

    /// <summary>Whether the device may still skip the account and client limits; false once it has as many failures in the
    /// window as an account may.</summary>
    public bool IsDeviceAllowed(string deviceId)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            Prune(now);
            return Window("d:" + deviceId, now).Count < settings.MaxFailuresPerUser;
        }
    }

    public void DeviceFailed(string deviceId)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            Window("d:" + deviceId, now).Enqueue(now);
        }
    }

    /// <summary>The device's failures are forgotten and the client remembered; the account's failures (others' guesses) stay.</summary>
    public void DeviceSucceeded(string deviceId, string userKey, string clientKey)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            _failures.Remove("d:" + deviceId);
            _knownSignIns[Pair(clientKey, userKey)] = now;
        }
    }

    public void Failed(string userKey, string clientKey)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            Window("u:" + userKey, now).Enqueue(now);
            Window("c:" + clientKey, now).Enqueue(now);
        }
    }

    /// <summary>The account's failures are forgotten, and the client is remembered as one the account signs in from.</summary>
    public void Succeeded(string userKey, string clientKey)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            _failures.Remove("u:" + userKey);
            _knownSignIns[Pair(clientKey, userKey)] = now;
        }
    }

    private static string Pair(string clientKey, string userKey) => clientKey + "\n" + userKey;

    private bool IsKnown(string pair, DateTimeOffset now) => _knownSignIns.TryGetValue(pair, out var at) && now - at < KnownSignInLifetime;

    private void Leave(AccountTurn turn, bool acquired)
    {
        if (acquired)
        {
            turn.Semaphore.Release();
        }

        lock (_gate)
        {
            if (--turn.Holders == 0)
            {
                _turns.Remove(turn.Key);
                turn.Semaphore.Dispose();
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
        if (_failures.Count >= PruneThreshold)
        {
            foreach (var key in _failures.Where(p => p.Value.Count == 0 || p.Value.Last() + settings.ThrottleWindow <= now).Select(p => p.Key).ToArray())
            {
                _failures.Remove(key);
            }
        }

        if (_knownSignIns.Count >= PruneThreshold)
        {
            var keep = _knownSignIns.Where(p => now - p.Value < KnownSignInLifetime).OrderByDescending(p => p.Value).Take(PruneThreshold / 2).ToArray();
            _knownSignIns.Clear();
            foreach (var (key, at) in keep)
            {
                _knownSignIns[key] = at;
            }
        }
    }

    private sealed class AccountTurn(string key)
    {
        public string Key { get; } = key;

        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        /// <summary>Attempts holding or waiting for this turn; guarded by the throttle's lock.</summary>
        public int Holders { get; set; }
    }

    private sealed class TurnLease(LoginThrottle owner, AccountTurn turn) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Leave(turn, acquired: true);
            }
        }
    }
}
