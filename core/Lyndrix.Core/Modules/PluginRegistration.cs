using Lyndrix.Core.Auth;
using Lyndrix.Core.Boot;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Data;
using Lyndrix.Core.Events;
using Lyndrix.Core.Secrets;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules;

/// <summary>Registers the plugin runtime and its HTTP endpoints with the host.</summary>
internal static class PluginRegistration
{
    public static IServiceCollection Add(IServiceCollection services, HostSettings settings)
    {
        services.AddSingleton(PluginRuntimeSettings.Read(settings));

        // In-memory stand-ins, used only when the secrets and database areas registered nothing (they register first).
        services.TryAddSingleton<IModuleSecretScopeFactory, InMemoryModuleSecretScopeFactory>();
        services.TryAddSingleton<IPluginStateStore, InMemoryPluginStateStore>();

        services.AddSingleton(sp => new PluginRuntime(
            sp.GetRequiredService<PluginRuntimeSettings>(),
            sp.GetRequiredService<EventBus>(),
            sp.GetRequiredService<TaskTracker>(),
            sp.GetRequiredService<IModuleSecretScopeFactory>(),
            sp.GetRequiredService<IAuthProviderRegistry>(),
            sp.GetRequiredService<IPluginStateStore>(),
            sp.GetRequiredService<IConfigSource>(),
            sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<IPluginRuntime>(sp => sp.GetRequiredService<PluginRuntime>());
        services.AddSingleton<IHostedService, PluginShutdown>();
        return services;
    }

    /// <summary>Maps the plugin endpoints. The returned group is where an authorization requirement for all of them goes.</summary>
    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        PluginEndpoints.Map(app);
        return app;
    }
}
