using System.Diagnostics;
using System.Globalization;
using Lyndrix.Core.Modules.Isolation;
using StreamJsonRpc;

namespace Lyndrix.Benchmarks;

/// <summary>
/// The floor under every call of an isolated plugin, apart from Lyndrix: a round trip between this process and a child over
/// the child's stdin/stdout pipes (as the plugin channel uses them), once as bare bytes and once as a JSON-RPC call through the
/// channel's own framing and encoding (<see cref="ChannelWire"/>). The child is this benchmark's executable in echo mode; it
/// busy-works a given time before each answer, so the caller waits idle as an isolated plugin waits for the host's read.
/// </summary>
internal static class ChannelFloor
{
    public const string ChildArgument = "--channel-echo";

    private sealed class Echo(long workTicks) : IChannelEcho
    {
        public Task<string?> EchoAsync(string key, CancellationToken cancellationToken)
        {
            Work(workTicks);
            return Task.FromResult<string?>("s3cr3t-value");
        }
    }

    /// <summary>The child: echoes bytes (<c>raw</c>) or serves <see cref="IChannelEcho"/> (<c>rpc</c>) until stdin closes,
    /// working <paramref name="workMicros"/> before each answer.</summary>
    public static async Task<int> ServeAsync(string mode, string workMicros)
    {
        var workTicks = Ticks(double.Parse(workMicros, CultureInfo.InvariantCulture));
        var input = Console.OpenStandardInput();
        var output = Console.OpenStandardOutput();
        if (mode == "raw")
        {
            var buffer = new byte[64];
            int read;
            while ((read = await input.ReadAsync(buffer)) > 0)
            {
                Work(workTicks);
                await output.WriteAsync(buffer.AsMemory(0, read));
                await output.FlushAsync();
            }

            return 0;
        }

        using var rpc = new JsonRpc(ChannelWire.Handler(output, input));
        rpc.AddLocalRpcTarget<IChannelEcho>(new Echo(workTicks), null);
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

    /// <summary>Median microseconds per call: the work done here, then a bare pipe round trip and a JSON-RPC call to a child
    /// doing the same work before it answers, measured in interleaved rounds.</summary>
    public static async Task<(double Here, double Raw, double Rpc)> MeasureAsync(double workMicros)
    {
        var workTicks = Ticks(workMicros);
        using var raw = StartChild("raw", workMicros);
        using var served = StartChild("rpc", workMicros);
        var toRaw = raw.StandardInput.BaseStream;
        var fromRaw = raw.StandardOutput.BaseStream;
        var message = new byte[] { 1, 2, 3, 4 };
        var answer = new byte[64];
        using var rpc = new JsonRpc(ChannelWire.FromPlugin(served.StandardInput.BaseStream, served.StandardOutput.BaseStream));
        var echo = rpc.Attach<IChannelEcho>();
        rpc.StartListening();
        try
        {
            var medians = await Measure.InterleavedMediansMicrosAsync(
                [
                    n =>
                    {
                        var start = Stopwatch.GetTimestamp();
                        for (var i = 0; i < n; i++)
                        {
                            Work(workTicks);
                        }

                        return Task.FromResult(Stopwatch.GetElapsedTime(start));
                    },
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
                ],
                operations: workMicros > 0 ? 400 : 2000, rounds: 7, warmUpOperations: workMicros > 0 ? 4000 : 20000);
            return (medians[0], medians[1], medians[2]);
        }
        finally
        {
            raw.StandardInput.Close();
            rpc.Dispose();
            await Task.WhenAll(raw.WaitForExitAsync(), served.WaitForExitAsync());
        }
    }

    private static long Ticks(double micros) => (long)(micros * Stopwatch.Frequency / 1_000_000);

    /// <summary>Busy for <paramref name="ticks"/>: work that keeps its thread, as the callee's part of a call would.</summary>
    private static void Work(long ticks)
    {
        var end = Stopwatch.GetTimestamp() + ticks;
        while (Stopwatch.GetTimestamp() < end)
        {
            Thread.SpinWait(20);
        }
    }

    private static Process StartChild(string mode, double workMicros) =>
        Process.Start(new ProcessStartInfo("dotnet", [typeof(ChannelFloor).Assembly.Location, ChildArgument, mode, workMicros.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
}
