namespace Lyndrix.Core.Modules.Trust;

/// <summary>One file of a plugin folder: its path relative to the folder (with <c>/</c>), its size and SHA-256 (hex).</summary>
internal sealed record PluginFileDigest(string Path, long Size, string Sha256);
