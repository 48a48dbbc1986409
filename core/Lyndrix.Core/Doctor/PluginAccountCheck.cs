using Lyndrix.Core.Modules;

namespace Lyndrix.Core.Doctor;

/// <summary>
/// The doctor's <c>plugin_accounts</c> check, read from the running processes rather than the settings: an isolated plugin
/// whose process runs under the host's own account can read every file that account can and, while the host's .NET
/// diagnostics socket listens, have the host's runtime write a dump of its memory, secrets included, to a file it names.
/// </summary>
internal static class PluginAccountCheck
{
    public const string Name = "plugin_accounts";

    public static DoctorCheck Run(IEnumerable<PluginInfo> plugins) => Run(plugins, HostDiagnosticsListening());

    /// <summary>The verdict for <paramref name="plugins"/>, given whether the host's diagnostics socket listens.</summary>
    public static DoctorCheck Run(IEnumerable<PluginInfo> plugins, bool diagnosticsListening)
    {
        var isolated = plugins.Where(p => p.ProcessId is not null).ToArray();
        if (isolated.Length == 0)
        {
            return DoctorCheck.Passed(Name, "No plugin runs in a process of its own.");
        }

        // A pass needs each account read and found to differ: one that cannot be read is no proof of anything.
        var hostUid = Uid(Environment.ProcessId);
        var accounts = isolated.Select(p => (p.Id, Uid: hostUid is null ? null : Uid(p.ProcessId!.Value))).ToArray();
        var shared = accounts.Where(a => a.Uid is not null && a.Uid == hostUid).Select(a => a.Id).ToArray();
        var unknown = accounts.Where(a => a.Uid is null).Select(a => a.Id).ToArray();
        if (shared.Length == 0 && unknown.Length == 0)
        {
            return DoctorCheck.Passed(Name, $"{isolated.Length} isolated plugin(s), each under an account other than the host's (uid {hostUid}): "
                + string.Join(", ", accounts.Select(a => $"{a.Id} (uid {a.Uid})")) + ".");
        }

        var problems = new List<string>();
        if (shared.Length > 0)
        {
            problems.Add($"{shared.Length} isolated plugin(s) run under the host's own account ({string.Join(", ", shared)}): they can read every file the host can"
                + (diagnosticsListening ? ", and through the host's .NET diagnostics socket have its runtime write a dump of its memory, secrets included." : "."));
        }

        if (unknown.Length > 0)
        {
            problems.Add($"The account of {unknown.Length} isolated plugin(s) could not be read from /proc/<pid>/status ({string.Join(", ", unknown)}): "
                + "they may run under the host's own.");
        }

        return DoctorCheck.Warning(Name, string.Join(" ", problems),
            "Set LYNDRIX_PLUGIN_USER (the host running as root) so isolated plugins run under an account of their own"
                + (diagnosticsListening ? "; until then, start the host with DOTNET_EnableDiagnostics=0." : "."));
    }

    /// <summary>The real uid of a running process, or null. Read from <c>/proc/&lt;pid&gt;/status</c>, which stays readable and
    /// true when the process is not dumpable (every plugin process): the files under its <c>/proc/&lt;pid&gt;</c>, this one
    /// included, then belong to root whatever its account.</summary>
    private static string? Uid(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?
                .Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // Not Linux, or the process has ended.
        }
    }

    /// <summary>Whether this process's .NET diagnostics socket (<c>dotnet-diagnostic-&lt;pid&gt;-…</c>) is bound.</summary>
    private static bool HostDiagnosticsListening()
    {
        try
        {
            var mine = $"/dotnet-diagnostic-{Environment.ProcessId}-";
            return File.ReadLines("/proc/net/unix").Any(l => l.Contains(mine, StringComparison.Ordinal));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
