using Lyndrix.Core.Boot;
using Lyndrix.Core.Configuration;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Lyndrix.Core.Modules;

/// <summary>Registers the plugin runtime and its HTTP endpoints with the host.</summary>
internal static class PluginRegistration
{
    public static IServiceCollection Add(IServiceCollection services, HostSettings settings)
    {
        // Placeholder until the plugin runtime lands (see README "What works today").
        services.AddSingleton<IPluginRuntime, NoPluginRuntime>();
        return services;
    }

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app) => app;
}
