using System.Text.Json.Serialization;
using Lyndrix.Core.Hosting.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lyndrix.Core.Doctor;

/// <summary><c>POST /api/doctor</c> (administrators), body <c>{"login": "...", "password": "..."}</c> or empty: the report of
/// <see cref="HostDoctor"/>. A POST, so a test password travels in the body, never in a URL or a log.</summary>
internal static class DoctorEndpoints
{
    public static RouteHandlerBuilder Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/doctor", async (HttpContext http, HostDoctor doctor, CancellationToken cancellationToken) =>
        {
            DoctorRequest? body = null;
            if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
            {
                try
                {
                    body = await http.Request.ReadFromJsonAsync<DoctorRequest>(cancellationToken).ConfigureAwait(false);
                }
                catch (System.Text.Json.JsonException)
                {
                    return ApiProblem.Result(StatusCodes.Status400BadRequest, "invalid_request",
                        "Send no body, or {\"login\": \"USER\", \"password\": \"...\"} for a test login through each provider.");
                }
            }

            var report = await doctor.RunAsync(body?.Login, body?.Password, ClientKey.For(http), cancellationToken).ConfigureAwait(false);
            return Results.Json(DoctorJson.From(report));
        });

    private sealed record DoctorRequest([property: JsonPropertyName("login")] string? Login, [property: JsonPropertyName("password")] string? Password);
}
