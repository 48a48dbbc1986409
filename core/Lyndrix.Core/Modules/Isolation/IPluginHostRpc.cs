using System.Text.Json;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>
/// What an isolated plugin may ask of the host. No method names a module: the host answers for the one module this
/// connection belongs to, through that module's own context (the same permission checks as in-process).
/// </summary>
[StreamJsonRpc.JsonRpcContract]
[PolyType.GenerateShape(IncludeMethods = PolyType.MethodShapeFlags.PublicInstance)]
internal partial interface IPluginHostRpc
{
    /// <summary>The child's first call: the one-time secret the host wrote to its stdin. Nothing else is served before.</summary>
    Task HelloAsync(string secret);

    Task<string?> GetSecretAsync(string key, CancellationToken cancellationToken);

    Task SetSecretAsync(string key, string value, CancellationToken cancellationToken);

    /// <summary>Atomic update of one field; the host calls back <see cref="IPluginChildRpc.ApplySecretUpdateAsync"/> with
    /// <paramref name="update"/> (the child's handle for its function) for each attempt.</summary>
    Task<string?> UpdateSecretAsync(string key, long update, CancellationToken cancellationToken);

    Task<long> SubscribeAsync(string topic);

    Task UnsubscribeAsync(long subscription);

    Task EmitAsync(string topic, JsonElement payload);

    Task LogAsync(int level, string message);

    Task RegisterAuthProviderAsync(string providerId, string displayName, bool isConfigured);

    /// <summary>One of this connection's providers became (un)configured (e.g. once its credentials were read).</summary>
    Task ProviderConfiguredAsync(string providerId, bool isConfigured);
}
