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

        // An in-memory plugin state store only when the database area registered none (it registers first).
        services.TryAddSingleton<IPluginStateStore, InMemoryPluginStateStore>();

        services.AddSingleton(sp => new PluginRuntime(
            sp.GetRequiredService<PluginRuntimeSettings>(),
            sp.GetRequiredService<EventBus>(),
            sp.GetRequiredService<TaskTracker>(),
            ModuleSecrets(sp),
            sp.GetRequiredService<IAuthProviderRegistry>(),
            sp.GetRequiredService<IPluginStateStore>(),
            sp.GetRequiredService<IConfigSource>(),
            sp.GetRequiredService<ILoggerFactory>(),
            overlays: sp.GetServices<IModuleSettingsOverlay>()));
        services.AddSingleton<IPluginRuntime>(sp => sp.GetRequiredService<PluginRuntime>());
        services.AddSingleton<IHostedService, PluginShutdown>();
        return services;
    }

    /// <summary>Maps the plugin endpoints, all of them for administrators only (one requirement on the group).</summary>
    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        PluginEndpoints.Map(app).RequireLyndrixAdmin();
        return app;
    }

    /// <summary>The secret store's module scopes; without one (the secrets area not registered), plugin secrets live in
    /// memory for this run. Kept private rather than registered, so other areas still see "no secret store".</summary>
    private static IModuleSecretScopeFactory ModuleSecrets(IServiceProvider sp)
    {
        if (sp.GetService<IModuleSecretScopeFactory>() is { } factory)
        {
            return factory;
        }

        sp.GetRequiredService<ILoggerFactory>().CreateLogger<PluginRuntime>()
            .LogWarning("No secret store is registered: plugin secrets are kept in memory and lost when the host stops");
        return new InMemoryModuleSecretScopeFactory();
    }
}
