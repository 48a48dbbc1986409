using Lyndrix.Core.Audit;
using Lyndrix.Core.Auth;
using Microsoft.AspNetCore.Http;
using Lyndrix.Core.Boot;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Data;
using Lyndrix.Core.Events;
using Lyndrix.Core.Modules.Trust;
using Lyndrix.Core.Secrets;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules;

/// <summary>Registers the plugin runtime and its HTTP endpoints with the host.</summary>
internal static class PluginRegistration
{
    public static IServiceCollection Add(IServiceCollection services, HostSettings settings)
    {
        services.AddSingleton(PluginRuntimeSettings.Read(settings));
        var trust = new SettingsReader(settings.Source, Directory.GetCurrentDirectory());
        services.AddSingleton(PluginTrustSettings.Read(trust));
        services.AddSingleton(Isolation.IsolationSettings.Read(trust, settings.StorageDir));
        trust.ThrowIfInvalid();
        services.AddSingleton<IPluginTrustCatalog>(sp => new SecretStorePluginTrustCatalog(
            () => sp.GetRequiredService<ISecretBackend>().Store, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new PluginTrustVerifier(sp.GetRequiredService<PluginTrustSettings>(), sp.GetRequiredService<IPluginTrustCatalog>()));

        services.AddSingleton(sp => new PluginRuntime(
            sp.GetRequiredService<PluginRuntimeSettings>(),
            sp.GetRequiredService<EventBus>(),
            sp.GetRequiredService<TaskTracker>(),
            sp.GetRequiredService<IModuleSecretScopeFactory>(),
            sp.GetRequiredService<IAuthProviderRegistry>(),
            sp.GetRequiredService<IPluginStateStore>(),
            sp.GetRequiredService<IConfigSource>(),
            sp.GetRequiredService<ILoggerFactory>(),
            overlays: sp.GetServices<IModuleSettingsOverlay>(),
            trust: sp.GetRequiredService<PluginTrustVerifier>(),
            isolation: sp.GetRequiredService<Isolation.IsolationSettings>()));
        services.AddSingleton<IPluginRuntime>(sp => sp.GetRequiredService<PluginRuntime>());
        services.AddSingleton<IHostedService, PluginShutdown>();
        return services;
    }

    /// <summary>Maps the plugin endpoints, all of them for administrators only (one requirement on the group).</summary>
    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        PluginEndpoints.Map(app).RequireLyndrixAdmin().Audited(AuditedActionFilter.FromRoute("plugin."));
        PluginTrustEndpoints.Map(app).RequireLyndrixAdmin().Audited(http => HttpMethods.IsDelete(http.Request.Method) ? "plugin.untrust" : "plugin.trust");
        return app;
    }
}
