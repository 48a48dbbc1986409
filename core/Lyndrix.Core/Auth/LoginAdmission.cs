namespace Lyndrix.Core.Auth;

/// <summary>
/// Bounds the sign-in attempts (logins, password changes) in progress at once: as many as the hashing pool runs plus a short
/// queue. An attempt beyond that is refused at once with how long to wait (503 + <c>Retry-After</c>), instead of queueing
/// for minutes behind an attacker's burst. The refusal itself is answered after <see cref="RefusalPause"/>: a client that ignores
/// <c>Retry-After</c> then sends about one attempt a second per connection instead of thousands, which would otherwise take
/// the CPU the hashing pool leaves to the rest of the API.
/// Attempts from known devices (a valid device cookie of the account, <see cref="LoginDeviceCookies"/>) have a reserved lane of the
/// same size that a storm of unknown clients cannot fill, and their hashes run first (<see cref="PasswordHashingPool.Prioritize"/>):
/// the owner waits for at most the hash in progress, not for the attackers' queue.
/// </summary>
internal sealed class LoginAdmission(PasswordHashingPool pool)
{
    /// <summary>Attempts that may wait per hashing thread.</summary>
    public const int QueuePerWorker = 8;

    private int _inFlight;
    private int _knownInFlight;

    /// <summary>How long a refused attempt waits before its 503 is sent (holding no hashing slot meanwhile).</summary>
    public TimeSpan RefusalPause { get; init; } = TimeSpan.FromSeconds(1);

    public int Capacity => pool.Workers * (QueuePerWorker + 1);

    /// <param name="knownDevice">The attempt comes from a known device: it takes a slot of the reserved lane.</param>
    /// <returns>A lease to dispose when the attempt is over, or null (with the suggested wait) when the lane is full.</returns>
    public IDisposable? TryEnter(bool knownDevice, out TimeSpan retryAfter)
    {
        ref var inFlight = ref knownDevice ? ref _knownInFlight : ref _inFlight;
        if (Interlocked.Increment(ref inFlight) > Capacity)
        {
            Interlocked.Decrement(ref inFlight);
            var perHash = pool.AverageDuration > TimeSpan.Zero ? pool.AverageDuration : TimeSpan.FromMilliseconds(250);
            retryAfter = perHash * Capacity / pool.Workers;
            return null;
        }

        retryAfter = TimeSpan.Zero;
        return new Lease(this, knownDevice);
    }

    private sealed class Lease(LoginAdmission owner, bool knownDevice) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref knownDevice ? ref owner._knownInFlight : ref owner._inFlight);
            }
        }
    }
}
