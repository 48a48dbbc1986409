using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Lyndrix.Core.Hosting.Http;
using Microsoft.AspNetCore.Http;
using Lyndrix.Core.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Lyndrix.Core.Auth;

/// <summary>Authenticates <c>Authorization: Bearer lys_…</c>, or else the browser's session cookie (<see cref="BrowserSession"/>,
/// whose state-changing requests must also prove they come from the host's own page), against the session store. Refusals
/// answer with a problem that says what to do instead of an empty 401/403.</summary>
internal sealed class BearerSessionHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    private static readonly object CsrfRefusalKey = new();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        var fromCookie = false;
        string token;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = header["Bearer ".Length..].Trim();
        }
        else if (header.Length == 0 && BrowserSession.Read(Request) is { } cookie)
        {
            token = cookie;
            fromCookie = true;
        }
        else
        {
            return AuthenticateResult.NoResult();
        }

        if (Context.RequestServices.GetService<IamState>() is not { IsReady: true } || Context.RequestServices.GetService<ISessionStore>() is null)
        {
            return AuthenticateResult.Fail("Sessions are not available yet: the host is still starting.");
        }

        var sessions = Context.RequestServices.GetRequiredService<SessionService>();
        var principal = await sessions.ValidateAsync(token, Context.RequestAborted).ConfigureAwait(false);
        if (principal is null)
        {
            return AuthenticateResult.Fail("The bearer token is unknown, expired or revoked.");
        }

        if (fromCookie && BrowserSession.RefusalFor(Request, token) is { } refusal)
        {
            Context.Items[CsrfRefusalKey] = refusal;
            return AuthenticateResult.Fail("A state-changing request with the session cookie did not prove it came from this host's page.");
        }

        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, principal.User.Username),
            new(LyndrixAuthentication.SessionIdClaim, principal.Session.Id),
            new(LyndrixAuthentication.ProviderClaim, UserAccounts.ProviderOf(principal.User)),
        };
        if (fromCookie)
        {
            claims.Add(new Claim(LyndrixAuthentication.CsrfClaim, BrowserSession.CsrfTokenFor(token)));
        }

        claims.AddRange(principal.User.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
        if (principal.User.IsAdmin)
        {
            claims.Add(new Claim(LyndrixAuthentication.AdminClaim, "true"));
        }

        Context.Items[typeof(SessionPrincipal)] = principal;
        var identity = new ClaimsIdentity(claims, Scheme.Name, ClaimTypes.Name, ClaimTypes.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    /// <summary>The session and user this request was authenticated with; only on endpoints that require a signed-in user.</summary>
    public static SessionPrincipal Current(HttpContext http) =>
        http.Items[typeof(SessionPrincipal)] as SessionPrincipal
        ?? throw new InvalidOperationException("The request was not authenticated with a Lyndrix session.");

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[CsrfRefusalKey] is string refusal)
        {
            await ApiProblem.WriteAsync(Context, StatusCodes.Status403Forbidden, "csrf_refused",
                $"This request carried the console's session cookie, but {refusal}. Requests that change state are accepted with the cookie " +
                $"only from the console's own page, which sends its {BrowserSession.CsrfHeader} header; other clients send 'Authorization: Bearer <token>'.")
                .ConfigureAwait(false);
            return;
        }

        Response.Headers.WWWAuthenticate = "Bearer realm=\"Lyndrix\"";
        await ApiProblem.WriteAsync(Context, StatusCodes.Status401Unauthorized, "unauthorized",
            "Sign in first: POST /api/auth/login with {\"username\": ..., \"password\": ...} and send the returned token as 'Authorization: Bearer <token>'. " +
            "A token stops working when it expires or is revoked.").ConfigureAwait(false);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        await ApiProblem.WriteAsync(Context, StatusCodes.Status403Forbidden, "forbidden",
            "This needs an administrator. Sign in with an admin account (LYNDRIX_ADMIN_USER, or a directory user whose groups map to the 'admin' role).")
            .ConfigureAwait(false);
}
