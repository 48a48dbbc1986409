using Lyndrix.Core.Crypto;
using System.Security.Cryptography;
using System.Text;

namespace Lyndrix.Core.Auth;

/// <summary>
/// Hashes and verifies passwords as Argon2 PHC strings. Verification of a missing or unreadable hash runs against a dummy
/// hash of the same cost, so an unknown user name takes as long as a known one. Hashes run on the
/// <see cref="PasswordHashingPool"/>: a few low-priority threads, each computing a whole hash by itself, so a burst of logins
/// neither exhausts memory (each hash takes tens of MiB) nor takes more than those threads' cores from the rest of the API.
/// </summary>
internal sealed class PasswordHasher
{
    private readonly PasswordHashingPool _pool;
    private readonly Lazy<PhcArgon2Hash> _dummy;

    public PasswordHasher(PasswordHashParameters parameters, PasswordHashingPool pool)
    {
        Parameters = parameters;
        _pool = pool;
        _dummy = new Lazy<PhcArgon2Hash>(() =>
        {
            var phc = Compute(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)), parameters);
            return PhcArgon2Hash.TryParse(phc, out var dummy) ? dummy : throw new InvalidOperationException("The dummy password hash could not be read back.");
        });
    }

    public PasswordHashParameters Parameters { get; }

    public async Task<string> HashAsync(string password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(password);
        return await _pool.RunAsync(() => Compute(password, Parameters), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True when <paramref name="password"/> matches <paramref name="phc"/>. A null or unreadable hash costs
    /// the same as a real one and returns false.</summary>
    public async Task<bool> VerifyAsync(string? phc, string password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(password);
        var known = PhcArgon2Hash.TryParse(phc, out var parsed);
        var target = known ? parsed : _dummy.Value;
        var actual = await _pool.RunAsync(() => Raw(password, target), cancellationToken).ConfigureAwait(false);
        return CryptographicOperations.FixedTimeEquals(actual, target.Hash) && known;
    }

    /// <summary>Whether a stored hash is weaker than (or differs from) the current parameters, so a successful login
    /// should store a fresh hash.</summary>
    public bool NeedsRehash(string? phc) =>
        !PhcArgon2Hash.TryParse(phc, out var h) || h.Variant != "argon2id" || h.Version != 0x13 ||
        h.MemoryKib != Parameters.MemoryKib || h.TimeCost != Parameters.TimeCost || h.Parallelism != Parameters.Parallelism;

    /// <summary>Primes the dummy hash so the first unknown-user login is not slower than the rest.</summary>
    public void Warm() => _ = _dummy.Value;

    /// <summary>Counts Argon2 computations; tests use it to see that unknown users cost a computation like known ones.</summary>
    internal static long Computations => Interlocked.Read(ref s_computations);

    private static long s_computations;

    private static string Compute(string password, PasswordHashParameters p) => Compute(password, p, RandomNumberGenerator.GetBytes(p.SaltLength));

    /// <summary>Hashes with a given salt; only for comparing output with the reference tools.</summary>
    internal static string Compute(string password, PasswordHashParameters p, byte[] salt)
    {
        var hash = new PhcArgon2Hash("argon2id", 0x13, p.MemoryKib, p.TimeCost, p.Parallelism, salt, new byte[p.HashLength]);
        return (hash with { Hash = Raw(password, hash) }).ToString();
    }

    private static byte[] Raw(string password, PhcArgon2Hash h)
    {
        Interlocked.Increment(ref s_computations);
        var variant = h.Variant switch
        {
            "argon2i" => Argon2Variant.I,
            "argon2d" => Argon2Variant.D,
            _ => Argon2Variant.Id,
        };
        // On the hashing thread alone (the lanes one after another, same bytes): the pool's threads are then all the CPU a login storm
        // can take, and the other cores stay with the API whatever the scheduler does with priorities.
        return Argon2Raw.Hash(Encoding.UTF8.GetBytes(password), h.Salt, variant, h.Version, h.TimeCost, h.MemoryKib, h.Parallelism, h.Hash.Length, threads: 1);
    }
}
