using System.Security.Cryptography;
using System.Text;
using Isopoh.Cryptography.Argon2;

namespace Lyndrix.Core.Auth;

/// <summary>
/// Hashes and verifies passwords as Argon2 PHC strings. Verification of a missing or unreadable hash runs against a dummy
/// hash of the same cost, so an unknown user name takes as long as a known one. Concurrent hashes are limited to the
/// processor count: each one takes tens of MiB, and a burst of logins must not exhaust memory.
/// </summary>
internal sealed class PasswordHasher
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, Environment.ProcessorCount), Math.Max(1, Environment.ProcessorCount));
    private readonly Lazy<PhcArgon2Hash> _dummy;

    public PasswordHasher(PasswordHashParameters parameters)
    {
        Parameters = parameters;
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
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Compute(password, Parameters);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>True when <paramref name="password"/> matches <paramref name="phc"/>. A null or unreadable hash costs
    /// the same as a real one and returns false.</summary>
    public async Task<bool> VerifyAsync(string? phc, string password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(password);
        var known = PhcArgon2Hash.TryParse(phc, out var parsed);
        var target = known ? parsed : _dummy.Value;
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var actual = Raw(password, target);
            return CryptographicOperations.FixedTimeEquals(actual, target.Hash) && known;
        }
        finally
        {
            _slots.Release();
        }
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
        var config = new Argon2Config
        {
            Type = h.Variant switch
            {
                "argon2i" => Argon2Type.DataIndependentAddressing,
                "argon2d" => Argon2Type.DataDependentAddressing,
                _ => Argon2Type.HybridAddressing,
            },
            Version = h.Version == 0x10 ? Argon2Version.Sixteen : Argon2Version.Nineteen,
            TimeCost = h.TimeCost,
            MemoryCost = h.MemoryKib,
            Lanes = h.Parallelism,
            Threads = Math.Min(h.Parallelism, Math.Max(1, Environment.ProcessorCount)),
            Password = Encoding.UTF8.GetBytes(password),
            Salt = h.Salt,
            HashLength = h.Hash.Length,
            ClearPassword = true,
        };
        using var argon2 = new Argon2(config);
        using var result = argon2.Hash();
        return result.Buffer.ToArray();
    }
}
