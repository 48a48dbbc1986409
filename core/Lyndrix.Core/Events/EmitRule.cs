using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Events;

/// <summary>
/// Whether a module may emit a topic: it is a valid topic, listed in the module's <c>permissions.emit</c>, not in a core
/// domain (unless the module is a core module), and in a domain the module owns, or whose single owner lists it in
/// <c>event_emitters</c>. The host and <c>Lyndrix.Sdk.Testing</c> both compile this file, so a plugin's tests refuse
/// exactly what the host refuses, with the same words.
/// </summary>
internal static class EmitRule
{
    /// <summary>Why <paramref name="emitter"/> may not emit <paramref name="topic"/>, or <see langword="null"/> when it may.</summary>
    /// <param name="emitter">The host's own copy of the emitting module's manifest.</param>
    /// <param name="topic">A valid topic.</param>
    /// <param name="ownersOf">The installed modules that claim a domain (by id or <c>event_domains</c>).</param>
    public static string? Refusal(ModuleManifest emitter, string topic, Func<string, IReadOnlyList<ModuleManifest>> ownersOf)
    {
        var id = emitter.Id;
        if (CoreTopics.IsCoreOwned(topic))
        {
            return emitter.Type == ModuleType.Core && emitter.MayEmit(topic)
                ? null
                : emitter.Type != ModuleType.Core
                    ? $"Module '{id}' may not emit '{topic}': '{topic}' belongs to the core ({ModuleManifest.DomainOf(topic)}:*), and only the core emits on it. Emit a topic of your plugin's own domain ('{id}:...')."
                    : $"Module '{id}' may not emit '{topic}': its plugin.json does not list it in permissions.emit. Add \"{topic}\" there.";
        }

        if (!emitter.MayEmit(topic))
        {
            return $"Module '{id}' may not emit '{topic}': its plugin.json does not list it in permissions.emit. Add \"{topic}\" there.";
        }

        var domain = ModuleManifest.DomainOf(topic);
        var owners = ownersOf(domain);
        if (owners.Count > 1)
        {
            return $"Module '{id}' may not emit '{topic}': the domain '{domain}' is claimed by several plugins ({string.Join(", ", owners.Select(o => o.Id).Order(StringComparer.Ordinal))}), so it is nobody's. Remove the claim from all but one plugin.json.";
        }

        if (owners.Count == 1 && string.Equals(owners[0].Id, id, StringComparison.Ordinal))
        {
            return null;
        }

        if (owners.Count == 1)
        {
            return owners[0].EventEmitters.Contains(id, StringComparer.Ordinal)
                ? null
                : $"Module '{id}' may not emit '{topic}': the domain '{domain}' belongs to plugin '{owners[0].Id}', whose plugin.json does not list '{id}' in event_emitters.";
        }

        return $"Module '{id}' may not emit '{topic}': '{domain}' is not its domain. A plugin emits topics of its own domains: its id ('{id}:...') " +
               $"and the domains it claims in event_domains (add \"{domain}\" there if no other plugin uses it).";
    }
}
