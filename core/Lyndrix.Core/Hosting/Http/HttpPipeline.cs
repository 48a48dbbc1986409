using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Lyndrix.Core.Hosting.Http;

/// <summary>The request pipeline in front of every endpoint: one error shape, one exception handler, then routing and
/// authentication. The order is written out here, so nothing depends on what the framework would add by itself.</summary>
internal static class HttpPipeline
{
    public static void Add(IServiceCollection services)
    {
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c => ApiProblem.Complete(c.ProblemDetails));
        services.AddExceptionHandler<ApiExceptionHandler>();
    }

    public static void Use(WebApplication app)
    {
        app.UseExceptionHandler();
        // Fills the empty bodies of framework answers (unknown route, wrong method) with a problem.
        app.UseStatusCodePages();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
    }
}
