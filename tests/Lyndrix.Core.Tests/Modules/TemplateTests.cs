using System.IO.Compression;
using System.Text.Json;
using Lyndrix.Core.Modules;

namespace Lyndrix.Core.Tests.Modules;

/// <summary>
/// The author's path end to end: pack Lyndrix.Sdk, Lyndrix.Sdk.Testing and the template package into a local folder feed,
/// install the template into a private hive, create a plugin with it, run its tests, publish it, and load the result in the
/// host's runtime. Slow (about a minute), so in its own category; it runs in CI with the rest.
/// </summary>
[Category("Template")]
public sealed class TemplateTests
{
    private string _root = "";
    private string _feed = "";
    private string _project = "";
    private Dictionary<string, string> _env = [];

    [OneTimeSetUp]
    public async Task PackAndInstantiate()
    {
        _root = Path.Combine(Path.GetTempPath(), "lyndrix-template-" + Guid.NewGuid().ToString("N")[..10]);
        _feed = Path.Combine(_root, "feed");
        Directory.CreateDirectory(_feed);
        foreach (var project in new[] { "sdk/Lyndrix.Sdk/Lyndrix.Sdk.csproj", "sdk/Lyndrix.Sdk.Testing/Lyndrix.Sdk.Testing.csproj", "sdk/templates/Lyndrix.Templates.csproj" })
        {
            await Dotnet(PluginFixtures.RepoRoot, "pack", project, "-c", PluginFixtures.Configuration, "-o", _feed, "-nodeReuse:false");
        }

        var hive = Path.Combine(_root, "hive");
        await Dotnet(_root, "new", "install", Path.Combine(_feed, $"Lyndrix.Templates.{SdkPackageVersion()}.nupkg"), "--debug:custom-hive", hive);
        _project = Path.Combine(_root, "acme");
        await Dotnet(_root, "new", "lyndrix-plugin", "-n", "Acme.Greeter", "-o", _project, "--debug:custom-hive", hive);

        // The packed packages come from the folder feed; everything else from the machine's package cache, used as a
        // read-only source. A private packages folder keeps this run's Lyndrix packages out of the user's cache.
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(_project, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="lyndrix-local" value="{_feed}" />
                <add key="machine-cache" value="{cache}" />
              </packageSources>
            </configuration>
            """);
        _env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_root, "packages") };
    }

    [OneTimeTearDown]
    public void Clean()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<string> Dotnet(string cwd, params string[] args)
    {
        var (code, output) = await PluginFixtures.RunDotnetAsync(cwd, TimeSpan.FromMinutes(8), _env, args);
        Assert.That(code, Is.Zero, $"dotnet {string.Join(' ', args)} failed:\n{output}");
        return output;
    }

    /// <summary>The SDK packages (and the template package) carry the plugin API version.</summary>
    private static string SdkPackageVersion() => Sdk.LyndrixApi.Version;

    [Test]
    public void The_template_references_the_sdk_version_this_repository_packs()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(PluginFixtures.RepoRoot, "sdk/templates/lyndrix-plugin/.template.config/template.json")));
        Assert.That(doc.RootElement.GetProperty("symbols").GetProperty("sdkVersion").GetProperty("defaultValue").GetString(), Is.EqualTo(SdkPackageVersion()),
            "update template.json's sdkVersion default when LyndrixApi.Version changes");
    }

    [Test]
    public void The_sdk_package_carries_the_build_rules_and_the_manifest_schema()
    {
        using var sdk = ZipFile.OpenRead(Path.Combine(_feed, $"Lyndrix.Sdk.{SdkPackageVersion()}.nupkg"));
        Assert.That(sdk.Entries.Select(e => e.FullName), Is.SupersetOf(new[]
        {
            "build/Lyndrix.Sdk.props", "build/Lyndrix.Sdk.targets", "schema/plugin.schema.json", "lib/net10.0/Lyndrix.Sdk.dll", "lib/net10.0/Lyndrix.Sdk.xml",
        }));
        using var testing = ZipFile.OpenRead(Path.Combine(_feed, $"Lyndrix.Sdk.Testing.{SdkPackageVersion()}.nupkg"));
        using var nuspec = new StreamReader(testing.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        Assert.That(nuspec.ReadToEnd(), Does.Contain("id=\"Lyndrix.Sdk\""), "Lyndrix.Sdk.Testing depends on the Lyndrix.Sdk package");
    }

    [Test]
    public async Task The_created_plugin_builds_and_its_tests_pass()
    {
        var output = await Dotnet(_project, "test", "-nodeReuse:false");
        Assert.That(output, Does.Contain("Passed!").And.Contain("Passed:     2"));
    }

    [Test]
    public async Task The_published_plugin_is_a_folder_the_host_loads_as_it_is()
    {
        var publish = Path.Combine(_root, "publish", "Acme.Greeter");
        await Dotnet(_project, "publish", "Acme.Greeter", "-c", "Release", "-o", publish, "-nodeReuse:false");
        var files = Directory.GetFiles(publish).Select(Path.GetFileName).ToList();
        Assert.That(files, Does.Contain("Acme.Greeter.dll").And.Contain("plugin.json").And.Contain("Acme.Greeter.runtimeconfig.json"));
        Assert.That(files, Does.Not.Contain("Lyndrix.Sdk.dll").And.Not.Contain("Microsoft.Extensions.Logging.Abstractions.dll")
            .And.Not.Contain("Microsoft.Extensions.DependencyInjection.Abstractions.dll"), "shared assemblies stay out of the output");

        foreach (var isolated in new[] { false, true })
        {
            // The same folder, unchanged, in the host's process and in a child process.
            await using var host = new PluginHarness();
            if (isolated)
            {
                host.Isolated();
            }

            PluginFixtures.CopyDirectory(publish, Path.Combine(host.PluginsDir, "acme"));
            var greeted = host.Record("acme.greeter:greeted");
            await host.Runtime.StartAllAsync(CancellationToken.None);
            var info = host.Runtime.Get("lyndrix.plugin.acme.greeter");
            Assert.That(info?.State, Is.EqualTo(PluginState.Active), $"isolated: {isolated}: {info?.Reason}\n{host.Logs.AllText}");
            Assert.That(info!.ProcessId is not null, Is.EqualTo(isolated));
            host.Bus.Emit(Sdk.Events.CoreTopics.SystemBootComplete);
            await Support.Eventually.True(() => greeted.Count == 1, $"the created plugin greets after boot (isolated: {isolated})");
        }
    }
}
