using StreamJsonRpc;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>How both ends of a plugin process's channel frame and encode messages: JSON-RPC with HTTP-like length headers,
/// System.Text.Json. One place, so the host, the child, the test kit and the benchmarks cannot disagree.</summary>
internal static class ChannelWire
{
    public static IJsonRpcMessageHandler Handler(Stream write, Stream read) => new HeaderDelimitedMessageHandler(write, read, new SystemTextJsonFormatter());
}
