using System.Diagnostics;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>How a child of the host's own executable is started (an isolated plugin, the held-roots inspection, the test
/// kit's process mode): its three standard streams redirected, and exactly the environment given — nothing of the starter's.</summary>
internal static class ChildProcessStart
{
    /// <summary>Starts <paramref name="command"/> (the executable and its leading arguments), then <paramref name="args"/>.</summary>
    public static ProcessStartInfo Info(IReadOnlyList<string> command, IEnumerable<string> args, IEnumerable<(string Name, string Value)> environment)
    {
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in command.Skip(1).Concat(args))
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        return info;
    }

    /// <summary>All that such a child gets: what .NET needs to start, its diagnostics off, nothing of the starter's settings or secrets.</summary>
    public static IEnumerable<(string Name, string Value)> DotnetEnvironment()
    {
        yield return ("PATH", "/usr/local/bin:/usr/bin:/bin");
        yield return ("DOTNET_CLI_TELEMETRY_OPTOUT", "1");
        yield return ("DOTNET_NOLOGO", "1");
        // No debugger, profiler or diagnostics socket (/tmp/dotnet-diagnostic-<pid>-…): a process of the same account could
        // otherwise read and set its environment or trace it through the runtime, and killed children leave the sockets behind.
        yield return ("DOTNET_EnableDiagnostics", "0");
        // Where the runtime is, for an apphost (lyndrix, lyndrix-plugin-host): the starter's DOTNET_ROOT, else the root of the
        // runtime the starter itself runs on; the apphost looks nowhere else but in its default places.
        if ((Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root ? root : RuntimeRoot()) is { } found)
        {
            yield return ("DOTNET_ROOT", found);
        }
    }

    /// <summary>The dotnet root of the running runtime (<c>ROOT/shared/Microsoft.NETCore.App/VERSION</c>); null when it is not laid
    /// out so (a self-contained app).</summary>
    private static string? RuntimeRoot()
    {
        var version = Path.GetDirectoryName(typeof(object).Assembly.Location);
        var framework = Path.GetDirectoryName(version);
        var shared = Path.GetDirectoryName(framework);
        return Path.GetFileName(framework) == "Microsoft.NETCore.App" && Path.GetFileName(shared) == "shared" ? Path.GetDirectoryName(shared) : null;
    }
}
