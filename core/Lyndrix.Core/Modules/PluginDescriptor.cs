using Lyndrix.Sdk;

namespace Lyndrix.Core.Modules;

/// <summary>What the host knows about a plugin folder before loading any of its code.</summary>
/// <param name="Folder">The plugin folder (absolute).</param>
/// <param name="Origin">Where the folder was found.</param>
/// <param name="Manifest">The validated manifest; <see langword="null"/> when <paramref name="Errors"/> is not empty.</param>
/// <param name="Errors">Why the manifest cannot be used; the plugin is never loaded.</param>
/// <param name="Warnings">Problems worth telling the operator that do not stop the plugin.</param>
/// <param name="Incompatibility">Set when the plugin needs a newer plugin API than the host has: it is <c>degraded</c>.</param>
/// <param name="DependencyRanges">Parsed version ranges by dependency id.</param>
internal sealed record PluginDescriptor(
    string Folder,
    PluginOrigin Origin,
    ModuleManifest? Manifest,
    IReadOnlyList<string> Errors,
    IReadOnlyList<string> Warnings,
    string? Incompatibility,
    IReadOnlyDictionary<string, VersionRange> DependencyRanges)
{
    public bool IsValid => Manifest is not null && Errors.Count == 0;

    /// <summary>The id read from an invalid manifest, when that id itself is well-formed.</summary>
    public string? KnownId { get; init; }

    /// <summary>The manifest id, or <c>folder:&lt;name&gt;</c> when the manifest gave none that can be used (":" never occurs in an id).</summary>
    public string Key => Manifest?.Id ?? KnownId ?? "folder:" + Path.GetFileName(Folder);

    public string EntryAssemblyPath => Path.Combine(Folder, Manifest?.EntryAssembly ?? "");

    public SemanticVersion? Version => Manifest is not null && SemanticVersion.TryParse(Manifest.Version, out var v) ? v : null;
}
