namespace Lyndrix.IntegrationTests.Support;

/// <summary>Folders of this repository as seen from the test assembly's output folder.</summary>
public static class RepositoryPaths
{
    // tests/Lyndrix.IntegrationTests/bin/<Configuration>/net10.0/ → the repository root five levels up.
    private static readonly DirectoryInfo Output = new(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));

    public static string Root => Output.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;

    /// <summary>Where the host build publishes the first-party modules (core/Lyndrix.Host/bin/&lt;Configuration&gt;/net10.0/modules).</summary>
    public static string BuiltInModules()
    {
        var modules = Path.Combine(Root, "core", "Lyndrix.Host", "bin", Output.Parent!.Name, Output.Name, "modules");
        Assert.That(Directory.Exists(Path.Combine(modules, "ldap")), Is.True, $"the host build publishes the first-party modules into {modules}");
        return modules;
    }
}
