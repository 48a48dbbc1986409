using Lyndrix.Core.Events;

namespace Lyndrix.Core.Modules;

/// <summary>One module's tracked background work, owned by its id; the token is cancelled when the module stops.</summary>
internal sealed class ModuleTaskPort(string moduleId, TaskTracker tasks)
{
    public CancellationToken Stopping { get; } = tasks.TokenFor(moduleId);

    public Task Run(string name, Func<CancellationToken, Task> work) => tasks.Run(moduleId, name, work);
}
