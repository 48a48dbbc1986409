using System.Globalization;
using Lyndrix.Core.Cli;
using Microsoft.Diagnostics.Runtime;

namespace Lyndrix.Core.Modules;

/// <summary>
/// <c>lyndrix held-roots PID CONTEXT_ID</c> (internal): started by a host whose plugin did not unload. Waits for the host's
/// go-ahead on stdin (the host first allows this process to inspect it), then prints one chain per line of what keeps
/// the load context alive (<see cref="HeldContextWalk"/>). Exit 0 with the chains (none: nothing holds it any more), 1 when
/// the process could not be inspected (the reason on stderr), 2 on a usage error.
/// </summary>
internal sealed class HeldRootsCommand : ICliCommand
{
    public const string CommandName = "held-roots";

    /// <summary>The walk's own time budget; it stops and reports what it found by then.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    public string Name => CommandName;

    public bool IsInternal => true;

    public string Summary => "(internal) Names what keeps an unloaded plugin's code in memory; started by the host itself.";

    public string Help => "Usage: lyndrix held-roots PID CONTEXT_ID [MAX]\n\nStarted by a host whose plugin did not unload: inspects the host process (paused meanwhile)\n" +
                          "and prints what still references the plugin's load context, one chain per line. Not for direct use.";

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        if (args.Count is < 2 or > 3 || !int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ||
            !long.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var contextId))
        {
            await context.Error.WriteLineAsync(Help).ConfigureAwait(false);
            return 2;
        }

        var max = args.Count == 3 && int.TryParse(args[2], NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : 3;
        // The host answers once it has allowed this process to attach (Yama's ptrace_scope); nothing else is read.
        if (await context.In.ReadLineAsync(cancellationToken).ConfigureAwait(false) != "go")
        {
            return 2;
        }

        try
        {
            foreach (var chain in HeldContextWalk.Find(pid, contextId, max, Budget))
            {
                await context.Out.WriteLineAsync(chain).ConfigureAwait(false);
            }

            return 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or ClrDiagnosticsException or NotSupportedException)
        {
            await context.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 1;
        }
    }
}
