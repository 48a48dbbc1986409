using Lyndrix.Core.Auth;
using Lyndrix.Core.Boot;
using Lyndrix.Core.Data;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Security;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Events;
using Lyndrix.Core.Hosting.Http;
using Lyndrix.Core.Hosting.WebConsole;
using Lyndrix.Sdk.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Hosting;

/// <summary>Builds the host: services, boot sequence and HTTP API on <c>$LYNDRIX_BIND:$PORT</c>.</summary>
internal static class LyndrixApp
{
    public sealed class Options
    {
        /// <summary>Adds or replaces logging providers (tests capture every line here).</summary>
        public Action<ILoggingBuilder>? Logging { get; init; }

        /// <summary>Replaces services after the defaults are registered (tests swap seams here).</summary>
        public Action<IServiceCollection>? Services { get; init; }

        /// <summary>Writes to the console; off in tests.</summary>
        public bool Console { get; init; } = true;
    }

    public static WebApplication Build(HostSettings settings, Options? options = null)
    {
        options ??= new Options();
        var http = HttpSettings.Load(settings.Source, Environment.CurrentDirectory);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        var metrics = Metrics.MetricsSettings.Read(settings);
        HttpPipeline.ConfigureKestrel(builder.WebHost, http, metrics.Bind);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));

        var level = LogLevels.Parse(settings.LogLevel);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(level);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // Kestrel warns with a stack trace about connections a client dropped mid-body (dotnet/aspnetcore#52324): an anonymous
        // lever for filling the log. That one event is dropped (the request pipeline logs such requests as one Information
        // line); Kestrel's other warnings stay.
        builder.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp =>
            new KestrelAbortLogFilter(ActivatorUtilities.CreateInstance<LoggerFactory>(sp))));
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        if (options.Console)
        {
            builder.Logging.AddSimpleConsole(c =>
            {
                c.SingleLine = true;
                c.TimestampFormat = "HH:mm:ss ";
            });
        }

        builder.Logging.AddProvider(new FileLoggerProvider(settings.LogsDir, level, TimeProvider.System, settings.InstanceId));
        options.Logging?.Invoke(builder.Logging);

        Metrics.MetricsRegistration.Add(builder.Services, metrics);
        AddCore(builder.Services, settings);
        HttpPipeline.Add(builder.Services, http);
        ConsoleEndpoints.Add(builder.Services);
        options.Services?.Invoke(builder.Services);

        // Last, so every core service has subscribed before system:started is emitted.
        builder.Services.AddSingleton<BootSequence>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BootSequence>());

        var app = builder.Build();
        HttpPipeline.Use(app);
        app.MapSystemEndpoints();
        SecretsRegistration.Map(app);
        DatabaseRegistration.Map(app);
        IamRegistration.Map(app);
        PluginRegistration.Map(app);
        SecurityRegistration.Map(app);
        Doctor.DoctorRegistration.Map(app);
        Metrics.MetricsRegistration.Map(app);
        ConsoleEndpoints.Map(app);
        return app;
    }

    private static void AddCore(IServiceCollection services, HostSettings settings)
    {
        services.AddSingleton(settings);
        services.AddSingleton(settings.Source);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new EventBusOptions());
        services.AddSingleton<EventBus>();
        services.AddSingleton<TaskTracker>();

        // First of the host's services: a restore running on this deployment stops the start before anything opens.
        services.AddHostedService<DeploymentLockService>();
        services.AddSingleton<BootState>();
        services.AddSingleton<MaintenanceState>();
        services.AddHostedService(sp =>
        {
            // Created eagerly so it hears maintenance events from the first one.
            sp.GetRequiredService<MaintenanceState>();
            return new NoopHostedService();
        });

        services.AddSingleton<IAuthProviderRegistry, AuthProviderRegistry>();

        // Each area registers itself; the order is the boot order. The stream and the audit trail come first: they hear
        // the secret store's first event and take the first secret read.
        SecurityRegistration.Add(services, settings);
        SecretsRegistration.Add(services, settings);
        DatabaseRegistration.Add(services, settings);
        IamRegistration.Add(services, settings);
        PluginRegistration.Add(services, settings);
        services.AddSingleton<IPluginSwitch>(sp => new PluginRuntimeSwitch(sp.GetRequiredService<PluginRuntime>()));
        services.AddHostedService<PluginStateFollower>();
        Doctor.DoctorRegistration.Add(services);
    }

    private sealed class NoopHostedService : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
