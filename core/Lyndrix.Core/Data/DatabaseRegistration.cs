using Lyndrix.Core.Boot;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Events;
using Lyndrix.Core.Secrets;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Data;

/// <summary>Registers this area's services and HTTP endpoints with the host.</summary>
internal static class DatabaseRegistration
{
    /// <summary>Registers the database. Throws <see cref="ConfigurationException"/> naming every invalid <c>DB_*</c> variable.</summary>
    public static IServiceCollection Add(IServiceCollection services, HostSettings settings)
    {
        var databaseSettings = DatabaseSettings.Load(settings.Source, Directory.GetCurrentDirectory(), settings.StorageDir);
        return Add(services, databaseSettings);
    }

    public static IServiceCollection Add(IServiceCollection services, DatabaseSettings settings)
    {
        services.AddSingleton(settings);
        services.AddSingleton<DatabaseCredentialRedactor>();
        services.AddSingleton<DatabaseStatus>();
        services.AddSingleton<IDatabaseConnectionSource>(_ => settings.UsesMariaDb
            ? new MariaDbConnectionSource(settings)
            : new SqliteConnectionSource(settings));
        services.AddSingleton<ISchemaMigrator, SchemaMigrator>();
        services.AddSingleton<IPluginStateStore, SqlPluginStateStore>();
        services.AddSingleton<IUserStore, SqlUserStore>();
        services.AddSingleton<ISessionStore, SqlSessionStore>();
        services.AddSingleton(sp => new DatabaseSupervisor(
            sp.GetRequiredService<EventBus>(),
            sp.GetRequiredService<BootState>(),
            sp.GetRequiredService<IDatabaseConnectionSource>(),
            sp.GetRequiredService<ISchemaMigrator>(),
            settings,
            sp.GetRequiredService<DatabaseCredentialRedactor>(),
            sp.GetRequiredService<DatabaseStatus>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<DatabaseSupervisor>>(),
            // The secret store is optional: without it the password comes from DB_PASSWORD alone.
            sp.GetService<IModuleSecretScopeFactory>()));
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<DatabaseSupervisor>());
        return services;
    }

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app) => app;
}
