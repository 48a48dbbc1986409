using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Lyndrix.Core.Modules.Isolation;

namespace Lyndrix.Core.Modules;

/// <summary>
/// Asks a child (the host's own executable, <c>held-roots</c>) what keeps a plugin's load context alive after an unload
/// failed. The host is paused while the child inspects it (about a second for a small host; more for a large heap), which is
/// why this runs only after a failed unload and can be turned off (<c>LYNDRIX_PLUGIN_UNLOAD_EXPLAIN=false</c>). The child
/// gets nothing of the host's environment and prints type and field names only.
/// </summary>
internal sealed partial class HeldContextExplainer(IReadOnlyList<string> hostCommand)
{
    /// <summary>Linux (Yama): lets one named process trace this one although it is not this one's parent.</summary>
    private const int PrSetPtracer = 0x59616d61;

    /// <returns>The chains found, or one line saying why none could be named.</returns>
    public async Task<IReadOnlyList<string>> ExplainAsync(long contextId, CancellationToken cancellationToken)
    {
        var info = ChildProcessStart.Info(hostCommand,
            [HeldRootsCommand.CommandName, Environment.ProcessId.ToString(CultureInfo.InvariantCulture), contextId.ToString(CultureInfo.InvariantCulture)],
            ChildProcessStart.DotnetEnvironment());
        using var process = Process.Start(info) ?? throw new InvalidOperationException("The inspecting process did not start.");
        if (OperatingSystem.IsLinux())
        {
            // Fails harmlessly where Yama is absent; a root host may be traced anyway.
            _ = prctl(PrSetPtracer, (nuint)process.Id, 0, 0, 0);
        }

        await process.StandardInput.WriteLineAsync("go".AsMemory(), cancellationToken).ConfigureAwait(false);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        // The walk stops itself at its budget; the margin covers attaching and reading the heap. Killing it mid-walk is the last
        // resort (the kernel then detaches it from the host).
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        grace.CancelAfter(HeldRootsCommand.Budget + TimeSpan.FromSeconds(40));
        try
        {
            await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            return ["could not name what holds it: the inspection did not finish in time"];
        }

        var chains = (await output.ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (process.ExitCode != 0)
        {
            var reason = (await error.ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
            return [$"could not name what holds it: {reason ?? $"the inspection ended with exit code {process.ExitCode}"}"];
        }

        return chains.Length > 0 ? chains : ["nothing outside the context references it any more: it should be collected shortly"];
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);
}
