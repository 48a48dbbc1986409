using System.Text.Json.Serialization;

namespace Lyndrix.Core.Backup;

/// <summary>One secret as a backup keeps it: its current version's fields and its key metadata. Older versions are not kept
/// (a restore writes the current data as a new version, as <c>vault kv rollback</c> does).</summary>
internal sealed record SecretDump(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("data")] IReadOnlyDictionary<string, string> Data,
    [property: JsonPropertyName("version")] int Version,
    [property: JsonPropertyName("max_versions")] int MaxVersions,
    [property: JsonPropertyName("created_time")] DateTimeOffset? CreatedTime,
    [property: JsonPropertyName("updated_time")] DateTimeOffset? UpdatedTime)
{
    /// <summary>Same fields and the same <c>max_versions</c>: restoring one over the other changes nothing.</summary>
    public bool SameContentAs(SecretDump other) =>
        MaxVersions == other.MaxVersions && Data.Count == other.Data.Count &&
        Data.All(kv => other.Data.TryGetValue(kv.Key, out var v) && string.Equals(v, kv.Value, StringComparison.Ordinal));

    /// <summary>Never the values: a dump may reach a log by accident.</summary>
    public override string ToString() => $"SecretDump({Path}, v{Version}, {Data.Count} field(s))";
}
