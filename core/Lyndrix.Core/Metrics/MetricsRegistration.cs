using Lyndrix.Core.Auth;
using Lyndrix.Core.Hosting.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Lyndrix.Core.Metrics;

/// <summary>Registers the instruments and OpenTelemetry's Prometheus exporter: <c>/metrics</c> on the API port for
/// administrators, and with <c>LYNDRIX_METRICS_BIND</c> also on a listener of its own that serves nothing else.</summary>
internal static class MetricsRegistration
{
    public static IServiceCollection Add(IServiceCollection services, MetricsSettings settings)
    {
        services.AddSingleton(settings);
        services.AddMetrics();
        services.AddSingleton<LyndrixMetrics>();
        services.AddSingleton<MetricsObservers>();
        services.AddHostedService(sp => sp.GetRequiredService<MetricsObservers>());
        services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(LyndrixMetrics.MeterName)
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }

    /// <summary>Before request hygiene: the metrics listener answers Prometheus by address, whatever Host it sends, and refuses
    /// every other path; requests on the API port never take this branch.</summary>
    public static void UseSeparateListener(WebApplication app)
    {
        if (app.Services.GetRequiredService<MetricsSettings>().Bind is not { } bind)
        {
            return;
        }

        app.UseWhen(http => http.Connection.LocalPort == bind.Port, branch =>
        {
            branch.UseOpenTelemetryPrometheusScrapingEndpoint(
                meterProvider: null, predicate: http => http.Request.Path == "/metrics", path: null, configureBranchedPipeline: null, optionsName: null);
            branch.Run(http => ApiProblem.WriteAsync(http, StatusCodes.Status404NotFound, "not_found",
                "This listener (LYNDRIX_METRICS_BIND) serves only GET /metrics.").AsTask());
        });
    }

    public static void Map(WebApplication app) => app.MapPrometheusScrapingEndpoint("/metrics").RequireLyndrixAdmin();
}
