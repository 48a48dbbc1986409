using System.Text.Json.Serialization;

namespace Lyndrix.Core.Backup;

/// <summary>One part of an archive as the manifest lists it: its SHA-256, size and how many records it holds.</summary>
internal sealed record BackupPart(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("count")] long Count);
