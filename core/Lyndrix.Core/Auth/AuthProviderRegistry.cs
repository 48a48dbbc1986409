using Lyndrix.Core.Events;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Auth;

namespace Lyndrix.Core.Auth;

internal sealed class AuthProviderRegistry : IAuthProviderRegistry
{
    public static readonly IReadOnlySet<string> BuiltInIds = new HashSet<string>(StringComparer.Ordinal) { "local", "ldap", "oidc" };

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
        if (!IsValidId(id))
        {
            throw new ModulePermissionDeniedException(owner, "auth_provider", id ?? "",
                $"Provider id '{id}' is invalid: use 1-64 lower-case letters, digits, '-' or '_'.");
        }

        lock (_gate)
        {
            if (BuiltInIds.Contains(id) && !MayOwnBuiltIn(owner, id))
            {
                throw new ModulePermissionDeniedException(owner, "auth_provider", id,
                    $"Module '{owner}' may not register provider '{id}': '{id}' is a built-in provider id. Choose another id.");
            }

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

    /// <summary>'local' belongs to the core; the first-party LDAP and OIDC modules own 'ldap' and 'oidc'.</summary>
    private static bool MayOwnBuiltIn(string owner, string id) =>
        id == AuthProviderChain.LocalId ? owner == EventBus.CoreOwner : owner == EventBus.CoreOwner || IsFirstPartyOwner(owner, id);

    /// <summary>The first-party LDAP and OIDC plugins own their built-in ids.</summary>
    private static bool IsFirstPartyOwner(string owner, string id) => owner == $"lyndrix.core.{id}";

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

    public static bool IsValidId(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 64 && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');
}
