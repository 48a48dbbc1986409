using System.Security.Cryptography;

namespace Lyndrix.VaultDouble;

/// <summary>The Shamir seal of the double: uninitialized → sealed → unsealed, with unseal progress toward the threshold.
/// Any <c>threshold</c> distinct shares of the generated set unseal it; a wrong share is only noticed at the threshold,
/// as with real Shamir reconstruction.</summary>
internal sealed class SealState
{
    private readonly List<byte[]> _shares = [];
    private readonly List<byte[]> _progress = [];

    public bool Initialized { get; private set; }

    public bool Sealed { get; private set; } = true;

    public int Shares { get; private set; }

    public int Threshold { get; private set; }

    public int Progress => _progress.Count;

    /// <summary>Set while an unseal is in progress, empty otherwise.</summary>
    public string Nonce { get; private set; } = "";

    public string ClusterName { get; } = "vault-cluster-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    public string ClusterId { get; } = Guid.NewGuid().ToString();

    /// <exception cref="InvalidOperationException">The message is Vault's 400 text.</exception>
    public IReadOnlyList<byte[]> Initialize(int shares, int threshold)
    {
        if (Initialized)
        {
            throw new InvalidOperationException("Vault is already initialized");
        }

        var problem = shares < 1 ? "shares must be at least one"
            : threshold < 1 ? "threshold must be at least one"
            : shares > 255 ? "shares must be less than 256"
            : threshold > shares ? "threshold cannot be larger than shares"
            : shares > 1 && threshold == 1 ? "threshold must be greater than one for multiple shares"
            : null;
        if (problem is not null)
        {
            throw new InvalidOperationException("invalid seal configuration: " + problem);
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

        Sealed = false;
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
        Sealed = false;
    }

    private void ResetProgress()
    {
        _progress.Clear();
        Nonce = "";
    }
}
