using StreamJsonRpc;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>How both ends of a plugin process's channel frame and encode messages: JSON-RPC with HTTP-like length headers,
/// System.Text.Json. One place, so the host, the child, the test kit and the benchmarks cannot disagree.</summary>
internal static class ChannelWire
{
    /// <summary>The child's end: it trusts what the host sends.</summary>
    public static IJsonRpcMessageHandler Handler(Stream write, Stream read) => new HeaderDelimitedMessageHandler(write, read, new SystemTextJsonFormatter());

    /// <summary>The host's end (and the test kit's): what the plugin's process sends is read within <see cref="ChannelReadLimit"/>.</summary>
    public static IJsonRpcMessageHandler FromPlugin(Stream write, Stream read) => Handler(write, new ChannelReadLimit(read));
}
