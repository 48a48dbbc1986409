namespace Lyndrix.Core.Secrets;

/// <summary>One live secret as <see cref="IKeyValueTransfer.ExportAsync"/> reads it: its current version's fields and its key metadata.</summary>
internal sealed record KvExportedSecret(string Path, IReadOnlyDictionary<string, string> Data, int Version, int MaxVersions,
    DateTimeOffset CreatedTime, DateTimeOffset UpdatedTime)
{
    /// <summary>Never the values.</summary>
    public override string ToString() => $"KvExportedSecret({Path}, v{Version}, {Data.Count} field(s))";
}
