using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Modules;

/// <summary>
/// The author's path as README "Writing a plugin from the packages" tells it, with nothing but the packages: <c>build.ps1 pack</c>
/// into a folder feed, <c>dotnet new install</c> of the template's .nupkg, <c>dotnet new lyndrix-plugin</c>, <c>dotnet test</c>,
/// <c>dotnet publish</c> into a PLUGINS_DIR, the <c>lyndrix</c> tool installed from the feed, the host started from that tool (the
/// plugin in-process, and in a child process the tool starts again), and the plugin unloaded with the tool's CLI.
/// Everything the walkthrough writes stays in one temporary folder: its own DOTNET_CLI_HOME, template hive, NuGet packages folder
/// and tool path, so the user's caches are neither read for Lyndrix packages nor changed, and each run starts from zero.
/// Slow (a few minutes), so in its own category; CI runs it with the rest. Each step's time goes to the test log.
/// </summary>
[Category("Template")]
public sealed class TemplateTests
{
    private const string PluginId = "lyndrix.plugin.acme.greeter";
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(8);

    private string _root = "";
    private string _feed = "";
    private string _hive = "";
    private string _project = "";
    private Dictionary<string, string> _isolated = [];
    private Lazy<Task<string>> _published = null!;
    private Lazy<Task<string>> _tool = null!;

    /// <summary>The host's version, which the tool package carries.</summary>
    private static string ToolVersion =>
        XDocument.Load(Path.Combine(PluginFixtures.RepoRoot, "Directory.Build.props")).Descendants("Version").First().Value;

    /// <summary>The plugin API version, which the SDK packages and the template package carry.</summary>
    private static string SdkVersion => Sdk.LyndrixApi.Version;

    [OneTimeSetUp]
    public async Task PackAndInstantiate()
    {
        _root = Path.Combine(Path.GetTempPath(), "lyndrix-template-" + Guid.NewGuid().ToString("N")[..10]);
        _feed = Path.Combine(_root, "feed");
        _hive = Path.Combine(_root, "hive");
        Directory.CreateDirectory(_root);

        // Packing uses the repository's own restore (and its repo-local pwsh tool), so it runs with the machine's settings.
        await Step("pack the packages into a folder feed (build.ps1 pack)", "dotnet", PluginFixtures.RepoRoot, null,
            "pwsh", "build.ps1", "pack", "-Configuration", PluginFixtures.Configuration, "-PackageOutput", _feed);

        // From here on, what an author's machine would do, in private folders. The packed packages come from the folder feed,
        // everything else from the machine's package cache used as a read-only source (so no network is needed); the mapping
        // takes Lyndrix packages only from the feed, never a stale copy from the cache.
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(_root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="lyndrix-local" value="{_feed}" />
                <add key="machine-cache" value="{cache}" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="lyndrix-local"><package pattern="Lyndrix.*" /></packageSource>
                <packageSource key="machine-cache"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        _isolated = new Dictionary<string, string>
        {
            ["DOTNET_CLI_HOME"] = Path.Combine(_root, "home"),
            ["NUGET_PACKAGES"] = Path.Combine(_root, "packages"),
            ["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false",
            ["MSBUILDDISABLENODEREUSE"] = "1",
        };

        await Step("install the template from its .nupkg", "dotnet", _root, _isolated,
            "new", "install", Path.Combine(_feed, $"Lyndrix.Templates.{SdkVersion}.nupkg"), "--debug:custom-hive", _hive);
        _project = Path.Combine(_root, "acme");
        await Step("create a plugin with the template", "dotnet", _root, _isolated,
            "new", "lyndrix-plugin", "-n", "Acme.Greeter", "-o", _project, "--debug:custom-hive", _hive);

        _published = new(PublishAsync, LazyThreadSafetyMode.ExecutionAndPublication);
        _tool = new(InstallToolAsync, LazyThreadSafetyMode.ExecutionAndPublication);
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

    [Test]
    public void The_template_references_the_sdk_version_this_repository_packs()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(PluginFixtures.RepoRoot, "sdk/templates/lyndrix-plugin/.template.config/template.json")));
        Assert.That(doc.RootElement.GetProperty("symbols").GetProperty("sdkVersion").GetProperty("defaultValue").GetString(), Is.EqualTo(SdkVersion),
            "update template.json's sdkVersion default when LyndrixApi.Version changes");
    }

    [Test]
    public void Pack_makes_the_four_packages_and_nothing_else()
    {
        Assert.That(Directory.GetFiles(_feed, "*.nupkg").Select(Path.GetFileName), Is.EquivalentTo(new[]
        {
            $"Lyndrix.Sdk.{SdkVersion}.nupkg", $"Lyndrix.Sdk.Testing.{SdkVersion}.nupkg", $"Lyndrix.Templates.{SdkVersion}.nupkg", $"Lyndrix.Tool.{ToolVersion}.nupkg",
        }), "build.ps1 pack packs the projects of Lyndrix.Packages.slnf, and only those");
    }

    [Test]
    public void The_sdk_package_carries_the_build_rules_and_the_manifest_schema()
    {
        using var sdk = ZipFile.OpenRead(Path.Combine(_feed, $"Lyndrix.Sdk.{SdkVersion}.nupkg"));
        Assert.That(sdk.Entries.Select(e => e.FullName), Is.SupersetOf(new[]
        {
            "build/Lyndrix.Sdk.props", "build/Lyndrix.Sdk.targets", "schema/plugin.schema.json", "lib/net10.0/Lyndrix.Sdk.dll", "lib/net10.0/Lyndrix.Sdk.xml",
        }));
        using var testing = ZipFile.OpenRead(Path.Combine(_feed, $"Lyndrix.Sdk.Testing.{SdkVersion}.nupkg"));
        using var nuspec = new StreamReader(testing.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        Assert.That(nuspec.ReadToEnd(), Does.Contain("id=\"Lyndrix.Sdk\""), "Lyndrix.Sdk.Testing depends on the Lyndrix.Sdk package");
    }

    [Test]
    public void The_tool_package_carries_the_host_and_its_first_party_modules()
    {
        using var tool = ZipFile.OpenRead(Path.Combine(_feed, $"Lyndrix.Tool.{ToolVersion}.nupkg"));
        var files = tool.Entries.Select(e => e.FullName).ToList();
        Assert.That(files, Is.SupersetOf(new[]
        {
            "tools/net10.0/any/DotnetToolSettings.xml", "tools/net10.0/any/lyndrix.dll", "tools/net10.0/any/Lyndrix.Core.dll",
            "tools/net10.0/any/modules/ldap/Lyndrix.Plugins.Ldap.dll", "tools/net10.0/any/modules/ldap/plugin.json",
            "tools/net10.0/any/modules/oidc/Lyndrix.Plugins.Oidc.dll", "tools/net10.0/any/modules/oidc/plugin.json",
        }), "the host runs from the tool as it runs from the build: LDAP and OIDC come with it");
    }

    /// <summary>The template's own tests, unchanged, in both modes: with <c>LYNDRIX_TEST_ISOLATION=process</c> the test kit runs the
    /// module in a child of the installed tool (<c>lyndrix plugin-host</c>), as <c>"isolation": "process"</c> would.</summary>
    [TestCase(false)]
    [TestCase(true)]
    public async Task The_created_plugin_builds_and_its_tests_pass(bool isolated)
    {
        var environment = new Dictionary<string, string>(_isolated);
        if (isolated)
        {
            environment["LYNDRIX_TEST_ISOLATION"] = "process";
            environment["LYNDRIX_HOST"] = await _tool.Value;
        }

        // Release, as the publish below: the plugin is built once.
        var output = await Step($"dotnet test the created plugin (isolated: {isolated})", "dotnet", _project, environment,
            "test", "-c", "Release", "-nodeReuse:false", "--logger", "console;verbosity=detailed");
        Assert.That(output, Does.Contain("Test Run Successful.").And.Match(@"Passed:\s+2\s").And.Not.Contain("Failed:"));
        Assert.That(output.Contains($"ModuleTestHost: {PluginId} runs in a child process", StringComparison.Ordinal), Is.EqualTo(isolated), output);
    }

    [Test]
    public async Task A_feed_without_the_exact_sdk_version_warns_but_does_not_fail_the_build()
    {
        // The feed has only this repository's version; asking for an older one is the near miss NuGet resolves upwards (NU1603).
        var near = Path.Combine(_root, "near");
        await Step("create a plugin that asks for an SDK version the feed lacks", "dotnet", _root, _isolated,
            "new", "lyndrix-plugin", "-n", "Acme.Near", "-o", near, "--sdkVersion", "0.0.1", "--debug:custom-hive", _hive);
        // Restore is where NU1603 arises (and where TreatWarningsAsErrors used to stop the build).
        var output = await Step("restore the plugin against the nearest SDK version", "dotnet", near, _isolated,
            "restore", Path.Combine("Acme.Near", "Acme.Near.csproj"));
        Assert.That(output, Does.Contain("warning NU1603").And.Contain($"Lyndrix.Sdk {SdkVersion}"),
            "the author still sees which SDK version the plugin really compiles against");
    }

    [Test]
    public async Task The_lyndrix_tool_installs_from_the_feed_and_answers_help()
    {
        var lyndrix = await _tool.Value;
        var output = await Step("lyndrix --help from the installed tool", lyndrix, _root, _isolated, "--help");
        Assert.That(output, Does.Contain("run").And.Contain("plugins").And.Contain("doctor"));
        Assert.That(output, Does.Not.Contain("plugin-host"), "the host's internal child command is not offered to operators");
        var validated = await Step("lyndrix plugins validate the published plugin", lyndrix, _root, _isolated, "plugins", "validate", await _published.Value);
        Assert.That(validated, Does.Contain(PluginId));
    }

    /// <summary>Drop the published folder into PLUGINS_DIR, start the host from the installed tool, see the plugin greet, unload it
    /// with the tool's CLI. Isolated, the host starts the tool's own command again (<c>lyndrix plugin-host</c>) for the plugin.</summary>
    [TestCase(false)]
    [TestCase(true)]
    public async Task The_published_plugin_runs_in_the_host_started_from_the_tool_and_unloads(bool isolated)
    {
        var (published, lyndrix) = (await _published.Value, await _tool.Value);
        var dir = Path.Combine(_root, isolated ? "run-process" : "run-inprocess");
        var plugins = Path.Combine(dir, "plugins");
        PluginFixtures.CopyDirectory(published, Path.Combine(plugins, "acme-greeter"));
        var port = HostProcess.FreePort();
        var stopwatch = Stopwatch.StartNew();
        await using var host = HostProcess.Start(new Dictionary<string, string>(_isolated)
        {
            ["ENV_TYPE"] = "dev",
            ["STORAGE_DIR"] = Path.Combine(dir, "storage"),
            ["SECURITY_DIR"] = Path.Combine(dir, "security"),
            ["LOGS_DIR"] = Path.Combine(dir, "logs"),
            ["PLUGINS_DIR"] = plugins,
            ["LYNDRIX_PLUGIN_ISOLATION"] = isolated ? "process" : "inprocess",
        }, port, dir, lyndrix);
        await host.WaitForBootAsync(TimeSpan.FromSeconds(120));
        await Support.Eventually.True(() => host.Output.Contains($"Hello from {PluginId}", StringComparison.Ordinal),
            $"the plugin greets after boot (isolated: {isolated}); host output:\n{host.Output}", 30);
        TestContext.Progress.WriteLine($"[template walkthrough] host from the tool booted with the plugin (isolated: {isolated}): {stopwatch.Elapsed.TotalSeconds:F1} s");

        using var login = await host.Http.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "lyndrix" });
        var loginBody = await login.Content.ReadAsStringAsync();
        Assert.That(login.IsSuccessStatusCode, Is.True, $"the dev admin signs in: {loginBody}");
        var token = JsonDocument.Parse(loginBody).RootElement.GetProperty("token").GetString()!;
        host.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var before = await host.Http.GetFromJsonAsync<JsonElement>($"/api/plugins/{PluginId}");
        Assert.That(before.GetProperty("state").GetString(), Is.EqualTo("active"), before.ToString());
        if (isolated)
        {
            var pid = before.GetProperty("process_id").GetInt32();
            var command = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            Assert.That(command, Is.EqualTo(new[] { lyndrix, "plugin-host", "" }), "the child is the tool's own command again");
        }

        var cli = new Dictionary<string, string>(_isolated) { ["LYNDRIX_TOKEN"] = token };
        var unload = await Step("lyndrix plugins unload from the installed tool", lyndrix, dir, cli,
            "plugins", "unload", PluginId, "--url", $"http://127.0.0.1:{port}");
        Assert.That(unload, Does.Contain($"{PluginId}: disabled").And.Contain("Code unloaded"));
        var after = await host.Http.GetFromJsonAsync<JsonElement>($"/api/plugins/{PluginId}");
        Assert.That(after.GetProperty("state").GetString(), Is.EqualTo("disabled"), after.ToString());
        Assert.That(after.TryGetProperty("process_id", out var gone) ? gone.ValueKind : JsonValueKind.Null, Is.EqualTo(JsonValueKind.Null), "no child process is left");
    }

    private async Task<string> PublishAsync()
    {
        var publish = Path.Combine(_root, "publish", "Acme.Greeter");
        await Step("dotnet publish the created plugin", "dotnet", _project, _isolated, "publish", "Acme.Greeter", "-c", "Release", "-o", publish, "-nodeReuse:false");
        var files = Directory.GetFiles(publish).Select(Path.GetFileName).ToList();
        Assert.That(files, Does.Contain("Acme.Greeter.dll").And.Contain("plugin.json").And.Contain("Acme.Greeter.runtimeconfig.json"));
        Assert.That(files, Does.Not.Contain("Lyndrix.Sdk.dll").And.Not.Contain("Microsoft.Extensions.Logging.Abstractions.dll")
            .And.Not.Contain("Microsoft.Extensions.DependencyInjection.Abstractions.dll"), "shared assemblies stay out of the output");
        return publish;
    }

    /// <summary>As README's walkthrough says: in the folder whose nuget.config names the feed, into a private tool path instead of
    /// the user's global tools.</summary>
    private async Task<string> InstallToolAsync()
    {
        var tools = Path.Combine(_root, "tools");
        await Step("install the lyndrix tool from the feed", "dotnet", _root, _isolated,
            "tool", "install", "Lyndrix.Tool", "--version", ToolVersion, "--tool-path", tools);
        var lyndrix = Path.Combine(tools, "lyndrix");
        Assert.That(File.Exists(lyndrix), Is.True, $"the tool's command is {lyndrix}");
        return lyndrix;
    }

    /// <summary>One step of the walkthrough: fails with what the step was, the command and its output; logs its time.</summary>
    private static async Task<string> Step(string what, string program, string cwd, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var stopwatch = Stopwatch.StartNew();
        var (code, output) = await PluginFixtures.RunAsync(program, cwd, StepTimeout, environment, args);
        TestContext.Progress.WriteLine($"[template walkthrough] {what}: {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.That(code, Is.Zero, $"The walkthrough step '{what}' failed: {program} {string.Join(' ', args)} (in {cwd}) exited with {code}:\n{output}");
        return output;
    }
}
