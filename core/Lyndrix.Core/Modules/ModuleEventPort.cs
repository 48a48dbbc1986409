using Lyndrix.Core.Events;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Modules;

/// <summary>
/// One module's access to the event bus, bound to its identity when its context is made: the source of every event it
/// emits and the owner of every subscription it makes are its id, stamped here; no method takes an id. Permissions are
/// checked against the host's own copy of the manifest (<see cref="EmitRule"/> for emits).
/// </summary>
internal sealed class ModuleEventPort(ModuleManifest policy, EventBus bus, EventDomainOwners domains, PermissionDenials denials)
{
    public string ModuleId => policy.Id;

    public IDisposable Subscribe(string topic, Func<LyndrixEvent, CancellationToken, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        TopicName.Validate(topic);
        if (PluginRules.SubscribeRefusal(policy, topic) is { } refusal)
        {
            throw denials.Report(new ModulePermissionDeniedException(policy.Id, "subscribe", topic, refusal));
        }

        // Always the queued path: a module's handler never runs on the emitter's thread, and its owner is the module id
        // so disable/unload removes it.
        return bus.Subscribe(topic, policy.Id, handler);
    }

    public void Emit(string topic, EventPayload? payload)
    {
        TopicName.Validate(topic);
        if (EmitRule.Refusal(policy, topic, domains.OwnersOf) is { } refusal)
        {
            throw denials.Report(new ModulePermissionDeniedException(policy.Id, "emit", topic, refusal));
        }

        bus.Emit(topic, payload, policy.Id);
    }
}
