using Lyndrix.Sdk;
using Microsoft.Extensions.Logging;

namespace NewerLogging;

public sealed class NewerLoggingModule : ILyndrixModule
{
    public Task SetupAsync(IModuleContext context, CancellationToken cancellationToken)
    {
        context.Logger.LogInformation("compiled against a newer logging abstraction");
        return Task.CompletedTask;
    }
}
