namespace Lyndrix.Core.Secrets;

/// <summary>One kept version of a KV v2 secret: when it was written, whether it is soft-deleted or destroyed.</summary>
internal sealed record KvVersionInfo(int Version, DateTimeOffset? CreatedTime, DateTimeOffset? DeletionTime, bool Destroyed)
{
    public bool IsDeleted => DeletionTime is not null;
}
