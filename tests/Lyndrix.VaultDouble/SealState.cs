using System.Security.Cryptography;

namespace Lyndrix.VaultDouble;

/// <summary>The seal of the double: uninitialized → sealed → unsealed, with unseal progress toward the threshold.
/// Any <c>threshold</c> distinct shares of the generated set unseal it; a wrong share is only noticed at the threshold,
/// as with real Shamir reconstruction. An auto-unseal seal (<see cref="IsAutoUnseal"/>) generates recovery keys instead and
/// unseals itself at initialization, as Vault does with a transit or cloud KMS seal.</summary>
internal sealed class SealState(string type, TimeProvider time)
{
    public const string Shamir = "shamir";

    private readonly List<byte[]> _shares = [];
    private readonly List<byte[]> _progress = [];

    /// <summary>The seal type seal-status reports: <c>shamir</c>, <c>transit</c>, <c>awskms</c>, ...</summary>
    public string Type { get; } = type;

    public bool IsAutoUnseal => Type != Shamir;

    /// <summary>When the cluster last went from sealed to unsealed (the start of a leader election).</summary>
    public DateTimeOffset? UnsealedAt { get; private set; }

    public bool Initialized { get; private set; }

    public bool Sealed { get; private set; } = true;

    public int Shares { get; private set; }

    public int Threshold { get; private set; }

    public int Progress => _progress.Count;

    /// <summary>Set while an unseal is in progress, empty otherwise.</summary>
    public string Nonce { get; private set; } = "";

    public string ClusterName { get; } = "vault-cluster-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    public string ClusterId { get; } = Guid.NewGuid().ToString();

    /// <summary>Initializes with the parameters of <c>PUT sys/init</c>: key shares for a Shamir seal, recovery shares for an
    /// auto-unseal seal (each refuses the other's parameters, as <c>validateInitParameters</c> does).</summary>
    /// <exception cref="InvalidOperationException">The message is Vault's 400 text.</exception>
    public IReadOnlyList<byte[]> Initialize(int shares, int threshold, int recoveryShares = 0, int recoveryThreshold = 0)
    {
        if (Initialized)
        {
            throw new InvalidOperationException("Vault is already initialized");
        }

        string[] barrierFlags = [.. new[] { ("secret_shares", shares), ("secret_threshold", threshold) }.Where(f => f.Item2 != 0).Select(f => f.Item1)];
        string[] recoveryFlags = [.. new[] { ("recovery_shares", recoveryShares), ("recovery_threshold", recoveryThreshold) }.Where(f => f.Item2 != 0).Select(f => f.Item1)];
        var misplaced = IsAutoUnseal ? barrierFlags : recoveryFlags;
        if (misplaced.Length > 0)
        {
            throw new InvalidOperationException($"parameters {string.Join(",", misplaced)} not applicable to seal type {Type}");
        }

        if (IsAutoUnseal)
        {
            (shares, threshold) = (recoveryShares, recoveryThreshold);
        }

        var configuration = IsAutoUnseal ? "recovery" : "seal";
        var problem = shares < 1 ? "shares must be at least one"
            : threshold < 1 ? "threshold must be at least one"
            : shares > 255 ? "shares must be less than 256"
            : threshold > shares ? "threshold cannot be larger than shares"
            : shares > 1 && threshold == 1 ? "threshold must be greater than one for multiple shares"
            : null;
        if (problem is not null)
        {
            throw new InvalidOperationException($"invalid {configuration} configuration: " + problem);
        }

        _shares.Clear();
        for (var i = 0; i < shares; i++)
        {
            _shares.Add(RandomNumberGenerator.GetBytes(33));
        }

        Shares = shares;
        Threshold = threshold;
        Initialized = true;
        Sealed = true;
        if (IsAutoUnseal)
        {
            // The seal's KMS holds the barrier key: the node unseals itself right after init.
            MarkUnsealed();
        }

        return _shares.Select(s => (byte[])s.Clone()).ToList();
    }

    /// <summary>Submits one share. Returns normally with the new progress; throws with Vault's 400 text on a rejected key.</summary>
    /// <exception cref="InvalidOperationException">The message is Vault's 400 text.</exception>
    public void Submit(byte[] share)
    {
        if (!Initialized)
        {
            throw new InvalidOperationException("Vault is not initialized");
        }

        if (!Sealed)
        {
            return;
        }

        // Vault ignores a share it already holds for this attempt.
        if (_progress.Any(p => CryptographicOperations.FixedTimeEquals(p, share)))
        {
            return;
        }

        _progress.Add(share);
        if (Nonce.Length == 0)
        {
            Nonce = Guid.NewGuid().ToString();
        }

        if (_progress.Count < Threshold)
        {
            return;
        }

        var valid = _progress.All(p => _shares.Any(s => CryptographicOperations.FixedTimeEquals(s, p)));
        ResetProgress();
        if (!valid)
        {
            throw new InvalidOperationException("cipher: message authentication failed");
        }

        MarkUnsealed();
    }

    /// <exception cref="InvalidOperationException">Vault's text when resetting an unsealed node.</exception>
    public void Reset()
    {
        if (!Sealed)
        {
            throw new InvalidOperationException("vault is unsealed");
        }

        ResetProgress();
    }

    public void Seal()
    {
        Sealed = true;
        ResetProgress();
    }

    /// <summary>Unseals directly with the generated shares (test setup, no HTTP).</summary>
    public void UnsealWithStoredShares()
    {
        if (!Initialized)
        {
            throw new InvalidOperationException("Vault is not initialized");
        }

        ResetProgress();
        MarkUnsealed();
    }

    private void MarkUnsealed()
    {
        if (Sealed)
        {
            UnsealedAt = time.GetUtcNow();
        }

        Sealed = false;
    }

    private void ResetProgress()
    {
        _progress.Clear();
        Nonce = "";
    }
}
