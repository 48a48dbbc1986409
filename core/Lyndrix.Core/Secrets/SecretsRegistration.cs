using Lyndrix.Core.Configuration;
using Lyndrix.Core.Secrets.Http;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Secrets.Lifecycle;
using Lyndrix.Core.Secrets.Scopes;
using Lyndrix.Core.Secrets.Vault;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Lyndrix.Core.Secrets;

/// <summary>Registers this area's services and HTTP endpoints with the host.</summary>
internal static class SecretsRegistration
{
    /// <exception cref="ConfigurationException">A secret-store setting is invalid (the message names the variable).</exception>
    public static IServiceCollection Add(IServiceCollection services, HostSettings settings)
    {
        var secrets = SecretStoreSettings.Load(settings);
        services.AddSingleton(secrets);
        if (secrets.VaultUrl is not null)
        {
            // Read now, so a bad Vault setting stops the host at start with a message naming the variable.
            services.AddSingleton(VaultSettings.Load(settings.Source, Directory.GetCurrentDirectory()));
        }

        services.AddSingleton(new VaultKeyFile(secrets.KeyFilePath, secrets.Argon));
        services.AddSingleton(sp => SecretBackendFactory.Create(sp, sp.GetRequiredService<SecretStoreSettings>()));
        services.AddSingleton<SecretLifecycle>();
        // Before the lifecycle starts, so it hears the first vault:needs_init.
        services.AddSingleton<SetupToken>();
        services.AddHostedService(sp => sp.GetRequiredService<SetupToken>());
        services.AddHostedService(sp => sp.GetRequiredService<SecretLifecycle>());
        services.AddSingleton<IModuleSecretScopeFactory, ModuleSecretScopeFactory>();
        services.AddSingleton(sp => new AttemptRateLimiter(secrets.RateLimitAttempts, secrets.RateLimitWindow, sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app) => app.MapVaultEndpoints();
}
