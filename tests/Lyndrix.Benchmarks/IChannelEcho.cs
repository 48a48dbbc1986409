namespace Lyndrix.Benchmarks;

/// <summary>The callee's contract in <see cref="ChannelFloor"/>: a short string for a short string, as a secret read is.
/// Public: the JSON-RPC proxy is generated for it at run time.</summary>
[StreamJsonRpc.JsonRpcContract]
[PolyType.GenerateShape(IncludeMethods = PolyType.MethodShapeFlags.PublicInstance)]
public partial interface IChannelEcho
{
    Task<string?> EchoAsync(string key, CancellationToken cancellationToken);
}
