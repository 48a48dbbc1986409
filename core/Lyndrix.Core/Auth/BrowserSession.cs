using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Lyndrix.Core.Auth;

/// <summary>
/// The browser's way to hold a session: the same session token as a bearer client gets, but in an <c>HttpOnly</c>,
/// <c>SameSite=Strict</c> cookie (<c>Secure</c> and named with the <c>__Host-</c> prefix when the request came over HTTPS), so
/// the console's script never sees it. A cookie rides along on requests the browser makes for other pages too, so every
/// state-changing request authenticated by it must also carry <see cref="CsrfHeader"/> with <see cref="CsrfTokenFor"/> of the
/// session token (which only the host's own page learns, from the sign-in answer or <c>GET /api/auth/me</c>) and an
/// <c>Origin</c> header; the request hygiene middleware has already refused a foreign origin.
/// </summary>
internal static class BrowserSession
{
    /// <summary>The cookie's name on a plain HTTP connection (loopback or behind a TLS proxy that is not trusted).</summary>
    public const string PlainCookie = "lyndrix_session";

    /// <summary>The cookie's name over HTTPS: browsers accept it only with <c>Secure</c>, <c>Path=/</c> and no <c>Domain</c>.</summary>
    public const string SecureCookie = "__Host-lyndrix_session";

    public const string CsrfHeader = "X-CSRF-Token";

    /// <summary>The value of <c>session</c> in a sign-in body that asks for a cookie instead of a token in the answer.</summary>
    public const string CookieMode = "cookie";

    private static readonly byte[] CsrfLabel = Encoding.ASCII.GetBytes("lyndrix:csrf:v1");

    public static string CookieName(HttpRequest request) => request.IsHttps ? SecureCookie : PlainCookie;

    /// <summary>The session token from this request's cookie, or null.</summary>
    public static string? Read(HttpRequest request) =>
        request.Cookies.TryGetValue(CookieName(request), out var token) && !string.IsNullOrEmpty(token) ? token : null;

    public static void Append(HttpContext http, string token, DateTimeOffset expiresAt) =>
        http.Response.Cookies.Append(CookieName(http.Request), token, Options(http.Request, expiresAt));

    public static void Delete(HttpContext http) =>
        http.Response.Cookies.Delete(CookieName(http.Request), Options(http.Request, null));

    /// <summary>A one-way function of the session token: knowing it neither reveals the token nor outlives the session.</summary>
    public static string CsrfTokenFor(string sessionToken) =>
        SessionTokens.Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(sessionToken), CsrfLabel));

    /// <summary>Null when a state-changing request authenticated by <paramref name="sessionToken"/>'s cookie may go on;
    /// otherwise why not.</summary>
    public static string? RefusalFor(HttpRequest request, string sessionToken)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        {
            return null;
        }

        // The middleware refuses a foreign Origin; here its absence is refused too, since every browser sends it on these
        // requests and only a client that is not a browser (which has no reason to use the cookie) would leave it out.
        if (request.Headers.Origin.Count == 0)
        {
            return "it has no Origin header";
        }

        var presented = request.Headers[CsrfHeader].ToString();
        return presented.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(presented), Encoding.ASCII.GetBytes(CsrfTokenFor(sessionToken)))
            ? null
            : $"its {CsrfHeader} header is missing or wrong";
    }

    private static CookieOptions Options(HttpRequest request, DateTimeOffset? expiresAt) => new()
    {
        HttpOnly = true,
        Secure = request.IsHttps,
        SameSite = SameSiteMode.Strict,
        Path = "/",
        Expires = expiresAt,
        IsEssential = true,
    };
}
