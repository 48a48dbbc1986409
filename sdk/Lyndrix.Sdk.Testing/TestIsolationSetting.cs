namespace Lyndrix.Sdk.Testing;

/// <summary>How the test kit picks its <see cref="TestIsolation"/> and finds the <c>lyndrix</c> host for process mode.</summary>
internal static class TestIsolationSetting
{
    public const string IsolationVariable = "LYNDRIX_TEST_ISOLATION";
    public const string HostVariable = "LYNDRIX_HOST";

    /// <exception cref="InvalidOperationException"><c>LYNDRIX_TEST_ISOLATION</c> holds something else than inprocess or process.</exception>
    public static TestIsolation FromEnvironment() => Environment.GetEnvironmentVariable(IsolationVariable)?.Trim().ToLowerInvariant() switch
    {
        null or "" or "inprocess" => TestIsolation.InProcess,
        "process" => TestIsolation.Process,
        var other => throw new InvalidOperationException($"{IsolationVariable} must be inprocess or process (got '{other}')."),
    };

    /// <summary>The command that starts the host: <paramref name="hostPath"/> (an executable, or a <c>.dll</c> run with this
    /// process's <c>dotnet</c>), else <c>lyndrix</c> from the <c>PATH</c> or <c>~/.dotnet/tools</c>.</summary>
    /// <exception cref="InvalidOperationException">No host was found; the message says how to provide one.</exception>
    public static IReadOnlyList<string> HostCommand(string? hostPath)
    {
        var path = string.IsNullOrWhiteSpace(hostPath) ? Find() : hostPath;
        if (path is null || !File.Exists(path))
        {
            throw new InvalidOperationException(
                (path is null ? "Process mode runs the module under the lyndrix host, and none was found on the PATH or in ~/.dotnet/tools. "
                              : $"Process mode runs the module under the lyndrix host, and {HostVariable} names {path}, which does not exist. ") +
                $"Install the host (dotnet tool install --global Lyndrix.Tool), or set {HostVariable} (or ModuleTestHost.HostPath) to the lyndrix executable or lyndrix.dll.");
        }

        if (!path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            return [path];
        }

        var self = Environment.ProcessPath;
        return [self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet", path];
    }

    private static string? Find()
    {
        var name = OperatingSystem.IsWindows() ? "lyndrix.exe" : "lyndrix";
        var tools = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools");
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append(tools)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }
}
