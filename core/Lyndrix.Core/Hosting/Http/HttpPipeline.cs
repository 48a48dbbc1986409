using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Hosting.Http;

/// <summary>The listeners and the request pipeline in front of every endpoint: one error shape, one exception handler,
/// request hygiene, then routing and authentication. The order is written out here, so nothing depends on what the framework
/// would add by itself.</summary>
internal static partial class HttpPipeline
{
    /// <param name="metricsBind">LYNDRIX_METRICS_BIND: a listener of its own for <c>/metrics</c> (plain HTTP; a scraper on a trusted network).</param>
    public static void ConfigureKestrel(IWebHostBuilder web, HttpSettings http, System.Net.IPEndPoint? metricsBind = null) => web.ConfigureKestrel(kestrel =>
    {
        // Bodies are capped before anything parses them; 413 for a declared length, and while reading a chunked one.
        kestrel.Limits.MaxRequestBodySize = HttpSettings.MaxBodyBytes;
        kestrel.AddServerHeader = false;
        var certificate = http.UsesTls ? http.LoadCertificate() : null;
        foreach (var address in http.Bind)
        {
            kestrel.Listen(address, http.Port, listen =>
            {
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        }

        if (metricsBind is not null)
        {
            kestrel.Listen(metricsBind);
        }
    });

    public static void Add(IServiceCollection services, HttpSettings http)
    {
        services.AddSingleton(http);
        services.AddSingleton<FilesystemPathRedactor>();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c => ApiProblem.Complete(c.ProblemDetails));
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Nobody is trusted by default (not even loopback): only the listed proxies, walked back from the nearest.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var network in http.TrustedProxies)
            {
                o.KnownIPNetworks.Add(network);
            }

            o.ForwardLimit = null;
        });
        services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(365);
            o.IncludeSubDomains = false;
        });
    }

    public static void Use(WebApplication app)
    {
        var http = app.Services.GetRequiredService<HttpSettings>();
        if (http.TrustedProxies.Count > 0)
        {
            // First: the client address and scheme everything after sees (throttling, Origin checks) are the real client's.
            app.UseForwardedHeaders();
        }

        app.UseExceptionHandler();
        Metrics.MetricsRegistration.UseSeparateListener(app);
        // Fills the empty bodies of framework answers (unknown route, wrong method) with a problem.
        app.UseStatusCodePages();
        if (http.UsesTls)
        {
            app.UseHsts();
        }

        app.UseMiddleware<RequestHygieneMiddleware>();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        if (!http.LoopbackOnly && !http.UsesTls)
        {
            LogPlaintext(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(HttpPipeline).FullName!), string.Join(", ", http.Bind));
        }
    }

    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning,
        Message = "The API listens on {Bind} without TLS (LYNDRIX_ALLOW_PLAINTEXT=true): tokens and keys cross the network in clear unless a TLS proxy in front of the host terminates TLS")]
    private static partial void LogPlaintext(ILogger logger, string bind);
}
