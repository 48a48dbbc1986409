using System.Security.Cryptography;

namespace Lyndrix.VaultDouble;

/// <summary>Issued tokens by id. Expiry follows the injected clock; an expired token is gone, as after Vault's revocation.</summary>
internal sealed class TokenStore(TimeProvider time)
{
    /// <summary>Vault's system default and maximum lease TTL (768h).</summary>
    public static readonly TimeSpan SystemMaxTtl = TimeSpan.FromHours(768);

    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private readonly Dictionary<string, VaultToken> _tokens = new(StringComparer.Ordinal);

    public DateTimeOffset Now => time.GetUtcNow();

    public VaultToken CreateRoot() => Add(new VaultToken
    {
        Id = NewId(),
        Accessor = RandomString(24),
        Policies = ["root"],
        CreationTtl = TimeSpan.Zero,
        IssueTime = Now,
        MaxTtl = TimeSpan.Zero,
        Renewable = false,
        Path = "auth/token/root",
        DisplayName = "root",
    });

    public VaultToken Create(IEnumerable<string> policies, TimeSpan ttl, TimeSpan maxTtl, bool renewable, int numUses, string path,
        string displayName, IReadOnlyDictionary<string, string>? meta, bool orphan, TimeSpan explicitMaxTtl = default)
    {
        var now = Now;
        var effectiveMax = maxTtl > TimeSpan.Zero ? maxTtl : SystemMaxTtl;
        var effectiveTtl = ttl > effectiveMax ? effectiveMax : ttl;
        var list = policies.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var isRoot = list.Contains("root");
        return Add(new VaultToken
        {
            Id = NewId(),
            Accessor = RandomString(24),
            Policies = list,
            CreationTtl = isRoot && ttl == TimeSpan.Zero ? TimeSpan.Zero : effectiveTtl,
            IssueTime = now,
            ExpireTime = isRoot && ttl == TimeSpan.Zero ? null : now + effectiveTtl,
            MaxTtl = effectiveMax,
            ExplicitMaxTtl = explicitMaxTtl,
            Renewable = renewable && !(isRoot && ttl == TimeSpan.Zero),
            NumUses = numUses,
            Path = path,
            DisplayName = displayName,
            Meta = meta,
            EntityId = path.StartsWith("auth/token/", StringComparison.Ordinal) ? "" : Guid.NewGuid().ToString(),
            Orphan = orphan,
        });
    }

    /// <summary>The live token with this id, or null when unknown, revoked or expired.</summary>
    public VaultToken? Find(string? id)
    {
        if (id is null || !_tokens.TryGetValue(id, out var token))
        {
            return null;
        }

        if (token.IsExpired(Now))
        {
            _tokens.Remove(id);
            return null;
        }

        return token;
    }

    public void Revoke(string id) => _tokens.Remove(id);

    public int RevokeAll(Func<VaultToken, bool> predicate)
    {
        var doomed = _tokens.Values.Where(predicate).Select(t => t.Id).ToList();
        doomed.ForEach(id => _tokens.Remove(id));
        return doomed.Count;
    }

    public int Count(Func<VaultToken, bool> predicate) => _tokens.Values.Count(t => !t.IsExpired(Now) && predicate(t));

    private VaultToken Add(VaultToken token)
    {
        _tokens[token.Id] = token;
        return token;
    }

    private static string NewId() => "hvs." + RandomString(24);

    public static string RandomString(int length) => RandomNumberGenerator.GetString(Alphabet, length);
}
