namespace Lyndrix.Core.Secrets.Vault;

/// <summary>
/// What reading a KV v2 secret found. Vault answers 404 for three different things (reference §4), and clients that
/// treat them alike lose information (hvac#906, VaultSharp#343): never written, soft-deleted, destroyed.
/// </summary>
internal abstract record KvSecretRead
{
    private KvSecretRead()
    {
    }

    /// <summary>The version's data as strings: a field Vault holds as a string is that string, JSON null is empty, any other
    /// value (written by another tool as a number, boolean, object or array) is its compact JSON text. <see cref="ToString"/>
    /// names the keys, never the values.</summary>
    public sealed record Found(IReadOnlyDictionary<string, string> Data, KvVersionMetadata Metadata) : KvSecretRead
    {
        public override string ToString() => $"Found(version={Metadata.Version}, keys=[{string.Join(",", Data.Select(p => p.Key))}])";
    }

    /// <summary>The version was soft-deleted; it can be undeleted.</summary>
    public sealed record SoftDeleted(KvVersionMetadata Metadata) : KvSecretRead;

    /// <summary>The version's data was destroyed for good.</summary>
    public sealed record Destroyed(KvVersionMetadata Metadata) : KvSecretRead;

    /// <summary>No such key (or no such version), or its metadata was deleted.</summary>
    public sealed record NotFound : KvSecretRead
    {
        public static NotFound Instance { get; } = new();
    }
}
