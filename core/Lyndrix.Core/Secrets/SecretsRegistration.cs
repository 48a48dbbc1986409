using Lyndrix.Core.Boot;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Events;
using Lyndrix.Sdk.Events;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Secrets;

/// <summary>Registers this area's services and HTTP endpoints with the host.</summary>
internal static class SecretsRegistration
{
    public static IServiceCollection Add(IServiceCollection services, HostSettings settings)
    {
        // Placeholder until the real service lands (see README "What works today").
        services.AddSingleton<IHostedService>(sp => new PlaceholderStep(sp.GetRequiredService<EventBus>(), sp.GetRequiredService<ILogger<PlaceholderStep>>(),
            "Secret store", CoreTopics.SystemStarted, CoreTopics.VaultOpened,CoreTopics.VaultReadyForData));
        return services;
    }

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app) => app;
}
