using System.Text.Json.Serialization;

namespace Lyndrix.Core.Modules.Trust;

/// <summary>One file of a plugin folder: its path relative to the folder (with <c>/</c>), its size and SHA-256 (hex).
/// The JSON names are the one wire format of pins, in the catalog and over HTTP.</summary>
internal sealed record PluginFileDigest(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("sha256")] string Sha256);
