namespace Lyndrix.Core.Auth;

/// <summary>
/// Bounds the sign-in attempts (logins, password changes) in progress at once: as many as the hashing pool runs plus a short
/// queue. An attempt beyond that is refused at once with how long to wait (503 + <c>Retry-After</c>), instead of queueing
/// for minutes behind an attacker's burst. The refusal itself is answered after <see cref="RefusalPause"/>: a client that ignores
/// <c>Retry-After</c> then sends about one attempt a second per connection instead of thousands, which would otherwise take
/// the CPU the hashing pool leaves to the rest of the API.
/// </summary>
internal sealed class LoginAdmission(PasswordHashingPool pool)
{
    /// <summary>Attempts that may wait per hashing thread.</summary>
    public const int QueuePerWorker = 8;

    private int _inFlight;

    /// <summary>How long a refused attempt waits before its 503 is sent (holding no hashing slot meanwhile).</summary>
    public TimeSpan RefusalPause { get; init; } = TimeSpan.FromSeconds(1);

    public int Capacity => pool.Workers * (QueuePerWorker + 1);

    /// <returns>A lease to dispose when the attempt is over, or null (with the suggested wait) when the queue is full.</returns>
    public IDisposable? TryEnter(out TimeSpan retryAfter)
    {
        if (Interlocked.Increment(ref _inFlight) > Capacity)
        {
            Interlocked.Decrement(ref _inFlight);
            var perHash = pool.AverageDuration > TimeSpan.Zero ? pool.AverageDuration : TimeSpan.FromMilliseconds(250);
            retryAfter = perHash * Capacity / pool.Workers;
            return null;
        }

        retryAfter = TimeSpan.Zero;
        return new Lease(this);
    }

    private sealed class Lease(LoginAdmission owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref owner._inFlight);
            }
        }
    }
}
