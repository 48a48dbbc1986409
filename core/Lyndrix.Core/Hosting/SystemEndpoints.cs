using Lyndrix.Core.Auth;
using Lyndrix.Core.Boot;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Hosting.Http;
using Lyndrix.Sdk;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lyndrix.Core.Hosting;

/// <summary><c>GET /api/health</c> and <c>GET /api/boot</c>.</summary>
internal static class SystemEndpoints
{
    public static IEndpointRouteBuilder MapSystemEndpoints(this IEndpointRouteBuilder app)
    {
        // Anonymous callers get the overall state ('degraded' also when an enabled plugin failed or is blocked); administrators
        // also get which ones, and every active plugin's own report (each within 5 s), which then counts towards the status. Plugin checks are not run for anonymous callers: a public endpoint must
        // not let anyone fan requests out into every plugin.
        app.MapGet("/api/health", async (HttpContext http, BootState boot, MaintenanceState maintenance, IPluginRuntime plugins,
            HostSettings settings, CancellationToken cancellationToken) =>
        {
            var locks = maintenance.Active;
            var caller = await http.AuthenticateAsync(LyndrixAuthentication.Scheme).ConfigureAwait(false);
            var isAdmin = caller.Principal?.HasClaim(LyndrixAuthentication.AdminClaim, "true") == true;
            var reports = isAdmin && boot.Phase == BootPhase.Ready
                ? await plugins.CheckHealthAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false)
                : [];
            var notRunning = boot.Phase == BootPhase.Ready ? plugins.EnabledButNotRunning() : [];
            var pluginsUnwell = notRunning.Count > 0 || reports.Any(r => r.Health.Status is HealthStatus.Error or HealthStatus.Degraded);
            var status = boot.Phase switch
            {
                BootPhase.Failed => "error",
                _ when locks.Count > 0 || pluginsUnwell => "degraded",
                BootPhase.Ready => "ok",
                _ => "starting",
            };
            var code = status == "error" ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
            return isAdmin
                ? Results.Json(new
                {
                    status,
                    instance = settings.InstanceId,
                    phase = boot.Phase,
                    maintenance = locks,
                    plugins = reports.ToDictionary(r => r.PluginId, r => new { status = r.Health.Status.ToString().ToLowerInvariant(), message = r.Health.Message }),
                    plugins_not_running = notRunning.Select(p => new { id = p.PluginId, state = p.State, reason = p.Reason }),
                }, statusCode: code)
                : Results.Json(new { status, instance = settings.InstanceId, phase = boot.Phase, maintenance = locks }, statusCode: code);
        });

        // Anonymous: what services report is shown without filesystem paths (the log has them).
        app.MapGet("/api/boot", (BootState boot, FilesystemPathRedactor paths) =>
        {
            var s = boot.Snapshot();
            return Results.Json(new
            {
                phase = s.Phase,
                error = paths.Redact(s.Error),
                is_booting = s.IsBooting,
                steps = s.Steps.Select(st => new
                {
                    name = st.Name, waits_for = st.WaitsFor, status = st.Status, error = paths.Redact(st.Error), since = st.Since, detail = paths.Redact(st.Detail),
                }),
            });
        });
        return app;
    }
}
