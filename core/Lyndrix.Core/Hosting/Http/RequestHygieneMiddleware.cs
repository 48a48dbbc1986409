using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Lyndrix.Core.Hosting.Http;

/// <summary>
/// Refuses requests a browser could be tricked into sending, before any endpoint sees them:
/// a Host this host does not answer to (DNS rebinding; <c>LYNDRIX_ALLOWED_HOSTS</c>), a state-changing request whose
/// <c>Origin</c> is another site (403), a body that is not JSON (415: form and text bodies are what a page can send without
/// a preflight) and a body larger than <see cref="HttpSettings.MaxBodyBytes"/> (413, before it is read). A client that hangs up
/// is one Information line.
/// </summary>
internal sealed partial class RequestHygieneMiddleware(RequestDelegate next, HttpSettings settings, ILogger<RequestHygieneMiddleware> logger)
{
    private readonly string? _publicOrigin = settings.PublicUrl?.GetLeftPart(UriPartial.Authority);
    private readonly List<StringSegment> _allowedHosts = settings.AllowedHosts.Select(h => new StringSegment(h)).ToList();

    public async Task InvokeAsync(HttpContext http)
    {
        try
        {
            await CheckThenNextAsync(http).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && http.RequestAborted.IsCancellationRequested)
        {
            // The client hung up: nothing to answer, and nothing worth a stack trace.
            LogAborted(logger, http.Request.Method, LogValue.Escape(http.Request.Path.Value));
        }
    }

    private Task CheckThenNextAsync(HttpContext http)
    {
        var request = http.Request;
        if (!HostString.MatchesAny(request.Host.Host, _allowedHosts))
        {
            LogRefused(logger, request.Method, LogValue.Escape(request.Path.Value), "host_not_allowed", LogValue.Escape(request.Host.Value));
            return ApiProblem.WriteAsync(http, StatusCodes.Status400BadRequest, "host_not_allowed",
                "This host does not answer to the name in the Host header. Its operator lists the names it answers to in LYNDRIX_ALLOWED_HOSTS.").AsTask();
        }

        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        {
            return next(http);
        }

        if (request.Headers.Origin is { Count: > 0 } origin && !IsOwnOrigin(request, origin.ToString()))
        {
            LogRefused(logger, request.Method, LogValue.Escape(request.Path.Value), "foreign_origin", LogValue.Escape(origin.ToString()));
            return ApiProblem.WriteAsync(http, StatusCodes.Status403Forbidden, "foreign_origin",
                "Requests that change state are accepted only from this host's own pages, and this one came from another origin.").AsTask();
        }

        if (request.ContentLength > HttpSettings.MaxBodyBytes)
        {
            LogRefused(logger, request.Method, LogValue.Escape(request.Path.Value), "body_too_large", request.ContentLength.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
            http.Response.Headers.Connection = "close";
            return ApiProblem.WriteAsync(http, StatusCodes.Status413PayloadTooLarge, "body_too_large",
                $"The request body may have at most {HttpSettings.MaxBodyBytes / 1024} KiB.").AsTask();
        }

        var hasBody = request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        if (hasBody && !request.HasJsonContentType())
        {
            return ApiProblem.WriteAsync(http, StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                "Requests that change state take a JSON body: send it with Content-Type: application/json.").AsTask();
        }

        return next(http);
    }

    private bool IsOwnOrigin(HttpRequest request, string origin)
    {
        if (_publicOrigin is not null && string.Equals(origin, _publicOrigin, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // "null" (sandboxed frames, file: pages) never matches.
        return Uri.TryCreate(origin, UriKind.Absolute, out var uri) &&
               string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase) &&
               string.Equals(uri.Authority, new HostString(request.Host.Value ?? "").ToUriComponent(), StringComparison.OrdinalIgnoreCase) &&
               uri.AbsolutePath == "/";
    }

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "{Method} {Path}: the client closed the connection")]
    private static partial void LogAborted(ILogger logger, string method, string path);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "{Method} {Path} refused ({Code}): {Value}")]
    private static partial void LogRefused(ILogger logger, string method, string path, string code, string value);
}
