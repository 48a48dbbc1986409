using Lyndrix.Core.Auth;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Lyndrix.IntegrationTests.Support;

/// <summary>
/// One deployment's folders and settings for the console tests: the sample plugin <c>lyndrix.sample.hello</c> in its
/// <c>PLUGINS_DIR</c>, and the first-party modules. Hosts started from it share the folders, so stopping one and starting
/// another is a restart. Password hashing is cheap (the cost parameters are the only difference from a real host; they are
/// tested elsewhere) to keep the browser suite fast.
/// </summary>
internal sealed class ConsoleDeployment : IDisposable
{
    public const string PluginId = "lyndrix.sample.hello";

    private readonly Dictionary<string, string> _values;

    public ConsoleDeployment(IReadOnlyDictionary<string, string> settings)
    {
        Root = TestSettings.TempDirectory();
        _values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PORT"] = "0",
            ["STORAGE_DIR"] = Path.Combine(Root, "storage"),
            ["SECURITY_DIR"] = Path.Combine(Root, "security"),
            ["PLUGINS_DIR"] = Path.Combine(Root, "plugins"),
            ["LOGS_DIR"] = Path.Combine(Root, "logs"),
            ["LYNDRIX_BUILTIN_MODULES_DIR"] = RepositoryPaths.BuiltInModules(),
        };
        foreach (var (name, value) in settings)
        {
            _values[name] = value;
        }

        var plugin = Path.Combine(AppContext.BaseDirectory, "console-plugins", "hello");
        Assert.That(File.Exists(Path.Combine(plugin, "plugin.json")), Is.True, $"the test build publishes the sample plugin into {plugin}");
        CopyDirectory(plugin, Path.Combine(_values["PLUGINS_DIR"], "hello"));
    }

    public string Root { get; }

    public string SecurityDir => _values["SECURITY_DIR"];

    public async Task<RunningHost> StartAsync()
    {
        var settings = HostSettings.Load(EnvironmentConfigSource.FromValues(_values), Root);
        return await RunningHost.StartAsync(settings, s => s.AddSingleton(new PasswordHashParameters(1, 1024, 1)));
    }

    /// <summary>The host's address with a trailing slash, as a browser shows it.</summary>
    public static string Url(RunningHost host) => host.Http.BaseAddress!.ToString();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
