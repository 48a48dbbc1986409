using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Lyndrix.Core.Hosting.WebConsole;

/// <summary>
/// Serves the operator console: <c>GET /</c> is its page, <c>GET /console/{file}</c> its script, style and icon. Every answer
/// carries a Content-Security-Policy that allows scripts, styles, images and connections from this origin only and no inline
/// code at all, so the page can load nothing from elsewhere and an injected script or style would not run; the page cannot be
/// framed and sends its address only to this origin.
/// </summary>
internal static class ConsoleEndpoints
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'none'; object-src 'none'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static void Add(IServiceCollection services) => services.AddSingleton<ConsoleAssets>();

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext http, ConsoleAssets assets) => Serve(http, assets.Find(ConsoleAssets.IndexFile)));
        app.MapGet("/console/{file}", (string file, HttpContext http, ConsoleAssets assets) =>
            file == ConsoleAssets.IndexFile ? Results.NotFound() : Serve(http, assets.Find(file)));
        return app;
    }

    private static IResult Serve(HttpContext http, ConsoleAsset? asset)
    {
        if (asset is null)
        {
            return Results.NotFound();
        }

        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        // Same-origin requests keep their Origin header (the host checks it on every state change); other sites learn nothing.
        headers["Referrer-Policy"] = "same-origin";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
        // Revalidated on every load, so an upgraded host never runs with an old script.
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        return http.Request.Headers.IfNoneMatch.ToString() == asset.ETag
            ? Results.StatusCode(StatusCodes.Status304NotModified)
            : Results.Bytes(asset.Content, asset.ContentType);
    }
}
