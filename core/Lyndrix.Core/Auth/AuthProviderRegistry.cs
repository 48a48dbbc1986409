using Lyndrix.Core.Events;
using Lyndrix.Core.Modules;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Auth;

namespace Lyndrix.Core.Auth;

internal sealed class AuthProviderRegistry : IAuthProviderRegistry
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (string Owner, IAuthProvider Provider)> _providers = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, IAuthProvider> All
    {
        get
        {
            lock (_gate)
            {
                return _providers.ToDictionary(p => p.Key, p => p.Value.Provider, StringComparer.Ordinal);
            }
        }
    }

    public bool TryGet(string id, out IAuthProvider provider, out string owner)
    {
        lock (_gate)
        {
            if (_providers.TryGetValue(id, out var entry))
            {
                (owner, provider) = entry;
                return true;
            }
        }

        provider = null!;
        owner = "";
        return false;
    }

    public void Register(string owner, IAuthProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var id = provider.ProviderId;
        if (PluginRules.ProviderRefusal(owner, id) is { } refusal)
        {
            throw new ModulePermissionDeniedException(owner, "auth_provider", id ?? "", refusal);
        }

        lock (_gate)
        {
            if (_providers.TryGetValue(id, out var existing) && existing.Owner != owner)
            {
                throw new ModulePermissionDeniedException(owner, "auth_provider", id,
                    $"Module '{owner}' may not register provider '{id}': it is already registered by '{existing.Owner}'.");
            }

            // The core's own provider is fixed once registered: nothing, not even a caller that names the core as owner,
            // can put another object behind 'local'.
            if (existing.Provider is not null && id == AuthProviderChain.LocalId && !ReferenceEquals(existing.Provider, provider))
            {
                throw new ModulePermissionDeniedException(owner, "auth_provider", id,
                    "The built-in provider 'local' is already registered and cannot be replaced.");
            }

            _providers[id] = (owner, provider);
        }
    }


    public int RemoveOwner(string owner)
    {
        // Only modules come and go; the core's providers stay for the life of the host.
        if (owner == EventBus.CoreOwner)
        {
            return 0;
        }

        lock (_gate)
        {
            var ids = _providers.Where(p => p.Value.Owner == owner).Select(p => p.Key).ToArray();
            foreach (var id in ids)
            {
                _providers.Remove(id);
            }

            return ids.Length;
        }
    }
}
