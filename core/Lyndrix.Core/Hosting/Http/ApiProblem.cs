using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Lyndrix.Core.Hosting.Http;

/// <summary>
/// The one error shape of the HTTP API: RFC 9457 problem details (<c>application/problem+json</c>) with a stable
/// <c>type</c> (<c>urn:lyndrix:problem:&lt;code&gt;</c>), a short machine <c>code</c> and a <c>detail</c> that reads like help.
/// Endpoints, the 401/403 handlers, the exception handler and the status-code pages all build their bodies here.
/// </summary>
internal static class ApiProblem
{
    public const string TypePrefix = "urn:lyndrix:problem:";

    public const string CodeExtension = "code";

    /// <summary>An endpoint's error result.</summary>
    public static IResult Result(int status, string code, string detail) => TypedResults.Problem(Create(status, code, detail));

    /// <summary>Writes an error from middleware or an authentication handler, through the ProblemDetails service.</summary>
    public static ValueTask WriteAsync(HttpContext http, int status, string code, string detail)
    {
        http.Response.StatusCode = status;
        return http.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = Create(status, code, detail) });
    }

    public static ProblemDetails Create(int status, string code, string detail)
    {
        var problem = new ProblemDetails { Status = status, Title = Title(status), Type = TypePrefix + code, Detail = detail };
        problem.Extensions[CodeExtension] = code;
        return problem;
    }

    /// <summary>Fills in <c>type</c>, <c>code</c> and <c>title</c> of problems the framework makes (unknown route, wrong method,
    /// a body too large), so every problem has the same fields.</summary>
    public static void Complete(ProblemDetails problem)
    {
        var status = problem.Status ?? StatusCodes.Status500InternalServerError;
        if (!problem.Extensions.TryGetValue(CodeExtension, out var code) || code is not string)
        {
            code = CodeFor(status);
            problem.Extensions[CodeExtension] = code;
            problem.Type = TypePrefix + code;
            problem.Detail ??= DetailFor(status);
        }

        problem.Title ??= Title(status);
        problem.Extensions.Remove("traceId");
    }

    /// <summary>The code of a problem nobody named more precisely.</summary>
    public static string CodeFor(int status) => status switch
    {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        409 => "conflict",
        413 => "body_too_large",
        415 => "unsupported_media_type",
        429 => "too_many_requests",
        431 => "headers_too_large",
        503 => "unavailable",
        >= 500 => "internal_error",
        _ => "error",
    };

    private static string DetailFor(int status) => status switch
    {
        404 => "There is nothing at this address. The README lists the API.",
        405 => "This address does not accept this method. The README lists the API.",
        408 => "The request was not sent in time.",
        413 => "The request body is larger than this endpoint accepts.",
        >= 500 => "The host could not complete the request; its log says why.",
        _ => "The request could not be handled.",
    };

    private static string Title(int status) => status switch
    {
        400 => "Bad request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        405 => "Method not allowed",
        408 => "Request timeout",
        409 => "Conflict",
        413 => "Content too large",
        415 => "Unsupported media type",
        429 => "Too many requests",
        502 => "Bad gateway",
        503 => "Service unavailable",
        >= 500 => "Internal server error",
        _ => "Error",
    };
}
