using System.Reflection;
using Lyndrix.Core.Tests.Modules;

namespace Lyndrix.Benchmarks;

/// <summary>
/// The Probe test plugin (<c>tests/plugins/Probe</c>, built with the benchmarks): a small module whose behaviour is chosen
/// by its settings. With no settings its setup reads its id and logs one line; with settings it subscribes, writes and
/// reads back a secret and registers an auth provider.
/// </summary>
internal static class ProbePlugin
{
    public const string ModuleTypeName = "Probe.ProbeModule";

    /// <summary>The Probe build output (a loadable plugin folder: EnableDynamicLoading, no shared assemblies).</summary>
    public static string BuildFolder { get; } = FindBuildFolder();

    /// <summary>Copies the plugin into <paramref name="parent"/>/<paramref name="folder"/> with its own manifest.</summary>
    public static string Install(
        string parent,
        string folder,
        string id,
        IReadOnlyDictionary<string, string>? settings = null,
        string[]? subscribe = null,
        string[]? emit = null)
    {
        var dir = Path.Combine(parent, folder);
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.EnumerateFiles(BuildFolder))
        {
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)), overwrite: true);
        }

        var manifest = ProbeManifest.Create(id, settings, subscribe, emit, description: "benchmark probe");
        File.WriteAllText(Path.Combine(dir, "plugin.json"), manifest.ToJsonString());
        return dir;
    }

    private static string FindBuildFolder()
    {
        var folder = typeof(ProbePlugin).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "ProbePluginFolder")?.Value;
        if (folder is null || !File.Exists(Path.Combine(folder, "Probe.dll")))
        {
            throw new InvalidOperationException(
                $"The Probe test plugin is not built (looked in {folder ?? "nowhere"}). Run the benchmarks with " +
                "'dotnet run -c Release --project tests/Lyndrix.Benchmarks', which builds it.");
        }

        return folder;
    }
}
