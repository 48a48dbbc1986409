using System.Diagnostics;

namespace Lyndrix.Core.Tests.Support;

/// <summary>
/// strace (apt: strace) as a fault injector: it runs a real command with a system call's result forced, as a broken or
/// hostile kernel or container runtime would give it, and logs the traced calls of every thread. It needs ptrace: root or
/// <c>CAP_SYS_PTRACE</c> (CI runs as root).
/// </summary>
internal static class Strace
{
    public const string Executable = "/usr/bin/strace";

    /// <summary>Ignores (or, under <c>LYNDRIX_REQUIRE_SERVERS=1</c>, fails) the test when strace is missing or cannot trace here.</summary>
    public static async Task RequireAsync()
    {
        if (!File.Exists(Executable))
        {
            Requirement.Missing("strace is not installed (apt-get install strace); .ci/run installs it.");
        }

        using var probe = Process.Start(new ProcessStartInfo(Executable, ["-qq", "-o", "/dev/null", "/bin/true"]) { RedirectStandardError = true })!;
        var error = await probe.StandardError.ReadToEndAsync();
        await probe.WaitForExitAsync();
        if (probe.ExitCode != 0)
        {
            Requirement.Missing($"strace cannot trace a process here (ptrace needs root or CAP_SYS_PTRACE): {error.Trim()}");
        }
    }

    /// <summary>The command prefix that runs what follows and writes the calls of <paramref name="trace"/> made by any thread
    /// to <paramref name="log"/>, each line led by its thread id, file descriptors followed by what they are (<c>-y</c>:
    /// <c>read(46&lt;pipe:[123]&gt;, …)</c>).</summary>
    public static string[] Tracing(string trace, string log) => [Executable, "-f", "-qq", "-y", "-o", log, "-e", "trace=" + trace];

    /// <summary><see cref="Tracing"/>, with <paramref name="inject"/> (strace's <c>-e inject=</c>) done to the calls.</summary>
    public static string[] Injecting(string inject, string trace, string log) => [.. Tracing(trace, log), "-e", "inject=" + inject];

    /// <summary><c>dotnet</c> as found on this process's PATH (the child's PATH may not hold it).</summary>
    public static string Dotnet() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "dotnet")).FirstOrDefault(File.Exists) ?? "dotnet";
}
