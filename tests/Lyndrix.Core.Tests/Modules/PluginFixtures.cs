using System.Diagnostics;

namespace Lyndrix.Core.Tests.Modules;

/// <summary>
/// Builds the test-plugin fixtures (<c>tests/plugins/*</c>) and the samples (<c>samples/*</c>) once per test run, with one
/// <c>dotnet msbuild</c> over <c>tests/plugins/Fixtures.proj</c>, and tells tests where each publish folder is.
/// </summary>
internal static class PluginFixtures
{
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    private static readonly Lazy<Task> Build = new(BuildAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static Task EnsureBuiltAsync() => Build.Value;

    /// <summary>The publish folder of a fixture (tests/plugins/NAME) or a sample (samples/NAME).</summary>
    public static string Published(string project)
    {
        foreach (var parent in new[] { "tests/plugins", "samples" })
        {
            var dir = Path.Combine(RepoRoot, parent, project, "bin", Configuration, "net10.0", "publish");
            if (Directory.Exists(dir))
            {
                return dir;
            }
        }

        throw new DirectoryNotFoundException($"No publish folder for {project}; did PluginFixtures.EnsureBuiltAsync run?");
    }

    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    /// <summary>Runs a dotnet CLI command; returns exit code and combined output.</summary>
    public static Task<(int ExitCode, string Output)> RunDotnetAsync(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        RunAsync("dotnet", workingDirectory, timeout, environment, args);

    /// <summary>Runs a program (the dotnet CLI, or e.g. an installed <c>lyndrix</c> tool); returns exit code and combined output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        // The test host may run under an MSBuild-launched process; let the child find its own SDK paths.
        foreach (var name in new[] { "MSBuildSDKsPath", "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly" })
        {
            info.Environment.Remove(name);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"Timed out after {timeout}: {program} {string.Join(' ', args)}\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static async Task BuildAsync()
    {
        var (code, output) = await RunDotnetAsync(RepoRoot, TimeSpan.FromMinutes(10), null,
            "msbuild", Path.Combine("tests", "plugins", "Fixtures.proj"), "-restore", "-t:PublishAll", $"-p:Configuration={Configuration}",
            "-m", "-nologo", "-v:m", "-nodeReuse:false");
        if (code != 0)
        {
            throw new InvalidOperationException($"Building the test-plugin fixtures failed (exit {code}):\n{output}");
        }
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Lyndrix.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Lyndrix.sln not found above " + AppContext.BaseDirectory);
    }
}
