using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Hosting.Http;

/// <summary>
/// The one exception handler of the HTTP API. A request the client got wrong (body too large, too slow, malformed) is
/// one Information line without a stack trace, so nobody can fill the log anonymously; any
/// other exception is logged with its stack and answered with a problem that names no internals.
/// </summary>
internal sealed partial class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var request = httpContext.Request;
        var path = LogValue.Escape(request.Path.Value);
        switch (exception)
        {
            case BadHttpRequestException bad:
                LogClientError(logger, request.Method, path, bad.StatusCode, LogValue.Escape(bad.Message));
                if (!httpContext.Response.HasStarted && !httpContext.RequestAborted.IsCancellationRequested)
                {
                    await ApiProblem.WriteAsync(httpContext, bad.StatusCode, ApiProblem.CodeFor(bad.StatusCode), Detail(bad)).ConfigureAwait(false);
                }

                return true;
            default:
                LogUnhandled(logger, exception, request.Method, path);
                if (!httpContext.Response.HasStarted)
                {
                    await ApiProblem.WriteAsync(httpContext, StatusCodes.Status500InternalServerError, "internal_error",
                        "The host could not complete the request; its log says why.").ConfigureAwait(false);
                }

                return true;
        }
    }

    private static string Detail(BadHttpRequestException bad) => bad.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => "The request body is larger than this endpoint accepts.",
        StatusCodes.Status408RequestTimeout => "The request body was not sent in time.",
        _ => "The request is malformed.",
    };

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "{Method} {Path} refused with {Status}: {Reason}")]
    private static partial void LogClientError(ILogger logger, string method, string path, int status, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}
