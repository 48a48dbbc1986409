using Lyndrix.Sdk.Auth;

namespace Lyndrix.Core.Auth;

/// <summary>Providers by id with their owner. Built-in ids belong to the core; a module may only add ids nobody owns.</summary>
internal interface IAuthProviderRegistry
{
    /// <summary>Registers a provider. Throws <see cref="Lyndrix.Sdk.ModulePermissionDeniedException"/> when the id is built-in
    /// (and the owner is not the core) or owned by another module.</summary>
    void Register(string owner, IAuthProvider provider);

    /// <summary>Removes every provider the owner registered; returns how many.</summary>
    int RemoveOwner(string owner);

    /// <summary>The provider registered under <paramref name="id"/> and the owner that registered it.</summary>
    bool TryGet(string id, out IAuthProvider provider, out string owner);

    /// <summary>All registered providers by id.</summary>
    IReadOnlyDictionary<string, IAuthProvider> All { get; }
}
