namespace Lyndrix.Core.Secrets;

/// <summary>Key metadata of a KV v2 secret, the same from either backend.</summary>
/// <param name="MaxVersions">The key's own limit; 0 means the store's default.</param>
/// <param name="Versions">Every kept version, oldest first.</param>
internal sealed record KvMetadata(
    int CurrentVersion,
    int OldestVersion,
    int MaxVersions,
    DateTimeOffset? CreatedTime,
    DateTimeOffset? UpdatedTime,
    IReadOnlyList<KvVersionInfo> Versions);
