using System.Text.Json.Nodes;

namespace Lyndrix.VaultDouble;

/// <summary>Everything a Vault cluster stores: seal, tokens, policies, mounts and auth methods. Peers (a standby and its
/// active node) share one instance. All access happens under <see cref="Gate"/>.</summary>
internal sealed class VaultState
{
    /// <summary>The 403 a valid token gets when its policies do not cover the path (VaultSharp#176).</summary>
    public const string PermissionDenied = "1 error occurred:\n\t* permission denied\n\n";

    public VaultState(VaultDoubleOptions options)
    {
        Options = options;
        Tokens = new TokenStore(options.TimeProvider);
        Seal = new SealState(options.SealType, options.TimeProvider);
    }

    public object Gate { get; } = new();

    public VaultDoubleOptions Options { get; }

    public DateTimeOffset Now => Options.TimeProvider.GetUtcNow();

    public SealState Seal { get; }

    /// <summary>Unsealed, but the leader election that follows an unseal has not finished (<see cref="VaultDoubleOptions.LeaderElectionDelay"/>).</summary>
    public bool IsLeaderless => !Seal.Sealed && Seal.UnsealedAt is { } at && Now - at < Options.LeaderElectionDelay;

    public TokenStore Tokens { get; }

    public PolicyStore Policies { get; } = new();

    public MountTable Mounts { get; } = new();

    public AuthMethodTable AuthMethods { get; } = new();

    public string Version => "1.17.5";

    public (string RootToken, IReadOnlyList<byte[]> Shares) Initialize(int shares, int threshold, int recoveryShares = 0, int recoveryThreshold = 0)
    {
        var keys = Seal.Initialize(shares, threshold, recoveryShares, recoveryThreshold);
        return (Tokens.CreateRoot().Id, keys);
    }

    public string[] InvalidTokenErrors() => Options.InvalidTokenStyle switch
    {
        InvalidTokenStyle.TwoEntries => ["permission denied", "invalid token"],
        InvalidTokenStyle.PlainPermissionDenied => ["permission denied"],
        _ => ["2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n"],
    };

    public bool IsAllowed(VaultToken token, string path, Capabilities needed) =>
        token.IsRoot || Policies.EvaluatorFor(token.Policies).Allows(path, needed);

    public VaultEnvelope Envelope(string mountType, JsonNode? data = null) => new()
    {
        Data = data,
        MountType = Options.IncludeMountType ? mountType : null,
    };
}
