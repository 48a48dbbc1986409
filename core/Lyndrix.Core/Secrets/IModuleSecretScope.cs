using Lyndrix.Sdk;

namespace Lyndrix.Core.Secrets;

/// <summary>Secrets of one module, confined to <c>plugins/&lt;id&gt;</c> (core modules: <c>core/&lt;id&gt;</c>).</summary>
internal interface IModuleSecretScope
{
    /// <summary>The KV path this scope is confined to.</summary>
    string Path { get; }

    /// <returns>The value or null when missing. Throws <see cref="SecretStoreUnavailableException"/> when the store cannot answer.</returns>
    Task<string?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Sets one field, keeping the others (read-modify-write with check-and-set, retried on conflict).</summary>
    Task SetAsync(string key, string value, CancellationToken cancellationToken);

    /// <summary>Read-modify-write of one field under check-and-set: <paramref name="update"/> may run more than once; its
    /// null removes the field. Returns the value written.</summary>
    Task<string?> UpdateAsync(string key, Func<string?, CancellationToken, Task<string?>> update, CancellationToken cancellationToken);
}

internal interface IModuleSecretScopeFactory
{
    IModuleSecretScope For(ModuleManifest manifest);
}
