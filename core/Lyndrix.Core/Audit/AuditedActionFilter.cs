using Lyndrix.Core.Hosting;
using Lyndrix.Core.Hosting.Http;
using Lyndrix.Core.Security;
using Lyndrix.Core.Events;
using Lyndrix.Sdk.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Audit;

/// <summary>
/// Audits the state-changing requests of an endpoint or group (reads are not audited): who, what (the action name the caller
/// of <see cref="Audited{TBuilder}"/> derives from the request), on what (the route's <c>id</c>), and how it ended (the status
/// code; <c>error</c> when it threw). Also a <c>security:admin_action</c> event and a log line with a stable event id.
/// </summary>
internal static class AuditedActionFilter
{
    /// <summary>Audits every non-GET request of the endpoints built by <paramref name="builder"/>.</summary>
    public static TBuilder Audited<TBuilder>(this TBuilder builder, Func<HttpContext, string> action)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method))
            {
                return await next(context).ConfigureAwait(false);
            }

            var name = action(http);
            try
            {
                var result = await next(context).ConfigureAwait(false);
                var status = result is IStatusCodeHttpResult { StatusCode: { } code } ? code : http.Response.StatusCode;
                Report(http, name, status is >= 200 and < 300 ? "ok" : "refused:" + status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return result;
            }
            catch (Exception) when (!http.RequestAborted.IsCancellationRequested)
            {
                Report(http, name, "error");
                throw;
            }
        });
        return builder;
    }

    /// <summary>The last literal segment of the route (<c>/api/plugins/{id}/enable</c> → <c>enable</c>), after a prefix.</summary>
    public static Func<HttpContext, string> FromRoute(string prefix) => http =>
    {
        var pattern = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern;
        var literal = pattern?.PathSegments.LastOrDefault(s => s.IsSimple && s.Parts[0].IsLiteral)?.Parts[0] as Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart;
        return prefix + (literal?.Content ?? http.Request.Method.ToLowerInvariant());
    };

    private static void Report(HttpContext http, string action, string outcome)
    {
        var services = http.RequestServices;
        var actor = http.User.Identity?.IsAuthenticated == true ? http.User.Identity.Name ?? "unknown" : "anonymous";
        var target = http.GetRouteValue("id") as string;
        services.GetRequiredService<AuditTrail>().Record(new AuditRecord(actor, null, action, target, outcome, "client " + ClientKey.For(http)));
        services.GetRequiredService<EventBus>().Emit(SecurityTopics.AdminAction, EventPayload.Create(
            ("action", action), ("target", target), ("actor", actor), ("outcome", outcome)));
        SecurityLog.AdminAction(services.GetRequiredService<ILoggerFactory>().CreateLogger(SecurityLog.Category), action,
            LogValue.Escape(target ?? "-"), LogValue.Escape(actor), outcome);
    }
}
