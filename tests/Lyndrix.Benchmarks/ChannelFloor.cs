using System.Diagnostics;
using Lyndrix.Core.Modules.Isolation;
using StreamJsonRpc;

namespace Lyndrix.Benchmarks;

/// <summary>
/// The floor under every call of an isolated plugin, apart from Lyndrix: a round trip between this process and a child over
/// the child's stdin/stdout pipes (as the plugin channel uses them), once as bare bytes and once as a JSON-RPC call through the
/// channel's own framing and encoding (<see cref="ChannelWire"/>). The child is this benchmark's executable in echo mode.
/// </summary>
internal static class ChannelFloor
{
    public const string ChildArgument = "--channel-echo";

    private sealed class Echo : IChannelEcho
    {
        public Task<string?> EchoAsync(string key, CancellationToken cancellationToken) => Task.FromResult<string?>("s3cr3t-value");
    }

    /// <summary>The child: echoes bytes (<c>raw</c>) or serves <see cref="IChannelEcho"/> (<c>rpc</c>) until stdin closes.</summary>
    public static async Task<int> ServeAsync(string mode)
    {
        var input = Console.OpenStandardInput();
        var output = Console.OpenStandardOutput();
        if (mode == "raw")
        {
            var buffer = new byte[64];
            int read;
            while ((read = await input.ReadAsync(buffer)) > 0)
            {
                await output.WriteAsync(buffer.AsMemory(0, read));
                await output.FlushAsync();
            }

            return 0;
        }

        using var rpc = new JsonRpc(ChannelWire.Handler(output, input));
        rpc.AddLocalRpcTarget<IChannelEcho>(new Echo(), null);
        rpc.StartListening();
        try
        {
            await rpc.Completion;
        }
        catch (Exception ex) when (ex is ConnectionLostException or IOException)
        {
        }

        return 0;
    }

    /// <summary>Median microseconds per round trip: bare pipe, then JSON-RPC, measured in interleaved rounds.</summary>
    public static async Task<(double Raw, double Rpc)> MeasureAsync()
    {
        using var raw = StartChild("raw");
        using var served = StartChild("rpc");
        var toRaw = raw.StandardInput.BaseStream;
        var fromRaw = raw.StandardOutput.BaseStream;
        var message = new byte[] { 1, 2, 3, 4 };
        var answer = new byte[64];
        using var rpc = new JsonRpc(ChannelWire.Handler(served.StandardInput.BaseStream, served.StandardOutput.BaseStream));
        var echo = rpc.Attach<IChannelEcho>();
        rpc.StartListening();
        try
        {
            return await Measure.InterleavedMedianMicrosAsync(
                async n =>
                {
                    var start = Stopwatch.GetTimestamp();
                    for (var i = 0; i < n; i++)
                    {
                        await toRaw.WriteAsync(message);
                        await toRaw.FlushAsync();
                        for (var got = 0; got < message.Length;)
                        {
                            got += await fromRaw.ReadAsync(answer.AsMemory(got));
                        }
                    }

                    return Stopwatch.GetElapsedTime(start);
                },
                async n =>
                {
                    var start = Stopwatch.GetTimestamp();
                    for (var i = 0; i < n; i++)
                    {
                        _ = await echo.EchoAsync("api_key", CancellationToken.None);
                    }

                    return Stopwatch.GetElapsedTime(start);
                },
                operations: 2000, rounds: 7, warmUpOperations: 20000);
        }
        finally
        {
            raw.StandardInput.Close();
            rpc.Dispose();
            await Task.WhenAll(raw.WaitForExitAsync(), served.WaitForExitAsync());
        }
    }

    private static Process StartChild(string mode) =>
        Process.Start(new ProcessStartInfo("dotnet", [typeof(ChannelFloor).Assembly.Location, ChildArgument, mode])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
}
