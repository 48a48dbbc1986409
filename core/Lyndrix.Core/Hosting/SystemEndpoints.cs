using Lyndrix.Core.Boot;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lyndrix.Core.Hosting;

/// <summary><c>GET /api/health</c> and <c>GET /api/boot</c>.</summary>
internal static class SystemEndpoints
{
    public static IEndpointRouteBuilder MapSystemEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/health", (BootState boot, MaintenanceState maintenance) =>
        {
            var locks = maintenance.Active;
            var status = boot.Phase switch
            {
                BootPhase.Failed => "error",
                _ when locks.Count > 0 => "degraded",
                BootPhase.Ready => "ok",
                _ => "starting",
            };
            return Results.Json(
                new { status, phase = boot.Phase, maintenance = locks },
                statusCode: status == "error" ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
        });

        app.MapGet("/api/boot", (BootState boot) =>
        {
            var s = boot.Snapshot();
            return Results.Json(new
            {
                phase = s.Phase,
                error = s.Error,
                is_booting = s.IsBooting,
                steps = s.Steps.Select(st => new { name = st.Name, waits_for = st.WaitsFor, status = st.Status, error = st.Error, since = st.Since, detail = st.Detail }),
            });
        });
        return app;
    }
}
