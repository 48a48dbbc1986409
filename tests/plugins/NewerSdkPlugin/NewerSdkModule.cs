using Lyndrix.Sdk;

namespace NewerSdkPlugin;

public sealed class NewerSdkModule : ILyndrixModule
{
    public Task SetupAsync(IModuleContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}
