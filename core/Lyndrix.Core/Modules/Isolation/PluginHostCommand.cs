using Lyndrix.Core.Cli;
using StreamJsonRpc;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>
/// <c>lyndrix plugin-host</c> (hidden): the child side of an isolated plugin. First makes itself non-dumpable
/// (<see cref="ChildHardening"/>; it refuses to go on if it cannot), then reads the one-time secret from stdin, opens the
/// JSON-RPC channel on stdin/stdout, presents the secret, then serves the host until the channel closes (the host ended
/// it, or the host died), and exits. Anything the plugin writes to the console goes to stderr, never onto the channel.
/// </summary>
internal sealed class PluginHostCommand : ICliCommand
{
    public const string CommandName = "plugin-host";

    public string Name => CommandName;

    public bool IsInternal => true;

    public string Summary => "(internal) Runs one isolated plugin for a host; started by the host itself.";

    public string Help => "Usage: lyndrix plugin-host\n\nStarted by the host itself for each plugin with isolation 'process': serves one plugin over its\n" +
                          "stdin/stdout. Not for direct use.";

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        if (ChildHardening.Apply() is { } failure)
        {
            await Console.Error.WriteLineAsync($"lyndrix plugin-host: {failure}; refusing to run a plugin in a weaker sandbox than documented.").ConfigureAwait(false);
            return ChildHardening.RefusedExitCode;
        }

        var input = Console.OpenStandardInput();
        var output = Console.OpenStandardOutput();
        Console.SetOut(Console.Error);
        var secret = await ReadLineAsync(input, cancellationToken).ConfigureAwait(false);
        if (secret is null)
        {
            return 3;
        }

        IPluginHostRpc? host = null;
        using var rpc = new JsonRpc(ChannelWire.Handler(output, input));
        rpc.AddLocalRpcTarget<IPluginChildRpc>(new ChildRpcTarget(() => host!), null);
        host = rpc.Attach<IPluginHostRpc>();
        rpc.StartListening();
        try
        {
            // The host may close the channel at any time, also before it answers the hello: the child then just ends.
            await host.HelloAsync(secret).ConfigureAwait(false);
            await rpc.Completion.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ConnectionLostException or IOException)
        {
        }

        return 0;
    }

    // Byte by byte, so nothing of the channel that follows the secret is consumed by a reader's buffer.
    private static async Task<string?> ReadLineAsync(Stream input, CancellationToken cancellationToken)
    {
        var bytes = new List<byte>(80);
        var one = new byte[1];
        while (bytes.Count < 256)
        {
            if (await input.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 0)
            {
                return null;
            }

            if (one[0] == (byte)'\n')
            {
                return System.Text.Encoding.ASCII.GetString(bytes.ToArray());
            }

            bytes.Add(one[0]);
        }

        return null;
    }
}
