using Lyndrix.Core.Audit;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Secrets;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Lyndrix.Core.Security;

/// <summary>Registers the security event stream and the audit trail, and their administrator-only endpoints.</summary>
internal static class SecurityRegistration
{
    public static IServiceCollection Add(IServiceCollection services, HostSettings settings)
    {
        services.AddSingleton(AuditSettings.Read(settings));
        services.AddSingleton<SecurityEventFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<SecurityEventFeed>());
        services.AddSingleton<AuditTrail>();
        services.AddSingleton<SqlAuditStore>();
        services.AddSingleton(sp => new SecretStoreAuditAnchor(() => sp.GetRequiredService<ISecretBackend>().Store));
        services.AddSingleton<AuditTrailVerifier>();
        services.AddSingleton<AuditWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditWriter>());
        return services;
    }

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        SecurityEventEndpoints.Map(app).RequireLyndrixAdmin();
        AuditEndpoints.Map(app).RequireLyndrixAdmin();
        return app;
    }
}
