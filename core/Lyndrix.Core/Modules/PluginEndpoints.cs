using Lyndrix.Core.Hosting.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lyndrix.Core.Modules;

/// <summary>
/// <c>GET /api/plugins</c>, <c>GET /api/plugins/{id}</c>, <c>POST /api/plugins/{id}/enable|disable|reload|unload</c> and
/// <c>POST /api/plugins/rescan</c>. All of them hang off one route group, so an authorization requirement (admin only)
/// is added in one place: <see cref="Map"/> returns that group.
/// </summary>
internal static class PluginEndpoints
{
    public static RouteGroupBuilder Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/plugins");
        group.MapGet("/", (PluginRuntime runtime) => Results.Json(new { started = runtime.IsStarted, plugins = runtime.List() }));
        group.MapGet("/{id}", (string id, PluginRuntime runtime) =>
            runtime.Get(id) is { } info ? Results.Json(info) : Error(PluginOperationException.NotFound(id)));
        group.MapPost("/{id}/enable", (string id, PluginRuntime runtime, CancellationToken ct) => Run(() => runtime.EnableAsync(id, ct)));
        group.MapPost("/{id}/disable", (string id, PluginRuntime runtime, CancellationToken ct) => Run(() => runtime.DisableAsync(id, ct)));
        group.MapPost("/{id}/reload", (string id, PluginRuntime runtime, CancellationToken ct) => Run(() => runtime.ReloadAsync(id, ct)));
        group.MapPost("/{id}/unload", (string id, PluginRuntime runtime, CancellationToken ct) => Run(() => runtime.UnloadAsync(id, ct)));
        group.MapPost("/rescan", (PluginRuntime runtime, CancellationToken ct) => Run(async () => new { added = await runtime.RescanAsync(ct).ConfigureAwait(false) }));
        return group;
    }

    private static async Task<IResult> Run<T>(Func<Task<T>> operation)
    {
        try
        {
            return Results.Json(await operation().ConfigureAwait(false));
        }
        catch (PluginOperationException ex)
        {
            return Error(ex);
        }
    }

    private static IResult Error(PluginOperationException ex) => ApiProblem.Result(ex.StatusCode, ApiProblem.CodeFor(ex.StatusCode), ex.Message);
}
