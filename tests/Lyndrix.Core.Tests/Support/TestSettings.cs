using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Tests.Support;

public static class TestSettings
{
    /// <summary>Host settings over the given variables, with directories under <paramref name="root"/> unless overridden.</summary>
    internal static HostSettings Host(string root, params (string Name, string Value)[] values)
    {
        var dict = new Dictionary<string, string>
        {
            ["PORT"] = "0",
            ["STORAGE_DIR"] = Path.Combine(root, "storage"),
            ["SECURITY_DIR"] = Path.Combine(root, "security"),
            ["PLUGINS_DIR"] = Path.Combine(root, "plugins"),
            ["LOGS_DIR"] = Path.Combine(root, "logs"),
        };
        foreach (var (name, value) in values)
        {
            dict[name] = value;
        }

        return HostSettings.Load(EnvironmentConfigSource.FromValues(dict), root);
    }

    public static string TempDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "lyndrix-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
