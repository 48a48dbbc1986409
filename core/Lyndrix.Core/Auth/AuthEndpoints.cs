using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lyndrix.Core.Audit;
using Lyndrix.Core.Data;
using Lyndrix.Core.Hosting.Http;
using Lyndrix.Sdk.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Auth;

/// <summary>The HTTP surface of IAM: login through the whole chain, bearer sessions, password change, providers, and
/// single sign-on through redirect providers.</summary>
internal static class AuthEndpoints
{
    private const string SsoCookiePrefix = "lyndrix_sso_";

    public static IEndpointRouteBuilder MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/auth");
        api.MapPost("/login", LoginAsync);
        api.MapPost("/logout", LogoutAsync).RequireLyndrixUser();
        api.MapGet("/me", MeAsync).RequireLyndrixUser();
        api.MapGet("/sessions", ListSessionsAsync).RequireLyndrixUser();
        api.MapDelete("/sessions/{id}", RevokeSessionAsync).RequireLyndrixUser().Audited(_ => "auth.session_revoke");
        api.MapPost("/password", ChangePasswordAsync).RequireLyndrixUser().Audited(_ => "auth.password_change");
        api.MapGet("/providers", ([FromServices] AuthProviderChain chain, [FromServices] AuthChainConfiguration config) => Results.Json(new
        {
            source = config.Current.Source,
            local_fallback = config.Current.LocalFallback,
            providers = chain.Describe().Select(s => new
            {
                id = s.Id, display_name = s.DisplayName, position = s.Position, listed = s.Listed, state = s.State,
                sso = s.IsSso, fallback = s.Fallback,
            }),
        }));
        api.MapGet("/sso/{provider}/start", SsoStartAsync);
        api.MapPost("/token-exchange", TokenExchangeAsync);
        app.MapGet("/auth/callback/{provider}", SsoCallbackAsync);
        app.MapSsoLandingPage();
        return app;
    }

    private static async Task<IResult> LoginAsync(HttpContext http, [FromServices] IamState iam, [FromServices] SignInGate gate,
        [FromServices] LoginDeviceCookies devices, [FromServices] SignInReporter reporter, CancellationToken cancellationToken)
    {
        if (!iam.IsReady)
        {
            return NotReady();
        }

        var (body, error) = await ReadAsync<LoginRequest>(http, "{\"username\": \"…\", \"password\": \"…\"}", cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        if (body!.Session is not (null or BrowserSession.CookieMode))
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_request",
                $"'session' is either left out (the answer carries a bearer token) or \"{BrowserSession.CookieMode}\" (a browser: the token goes into an HttpOnly cookie).");
        }

        var username = body.Username?.Trim() ?? "";
        var password = body.Password ?? "";
        if (!UserNames.IsPlausibleLogin(username) || password.Length == 0 || password.Length > PasswordPolicy.MaximumLength)
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_request",
                $"Send a non-empty 'username' (at most {UserNames.MaxLength} characters) and a non-empty 'password' (at most {PasswordPolicy.MaximumLength}).");
        }

        var userKey = UserNames.ThrottleKey(username);
        var services = http.RequestServices;
        var users = services.GetRequiredService<IUserStore>();
        using var attempt = await gate.EnterAsync(http, userKey, ct => users.FindAsync(username, ct), cancellationToken).ConfigureAwait(false);
        var client = attempt.Client;
        if (attempt.Refusal is { } refusal)
        {
            if (attempt.ThrottledFor is { } wait)
            {
                reporter.Throttled(username, client, SignInGate.Seconds(wait));
            }

            return refusal;
        }

        AuthChainResult result;
        using (attempt.Prioritize())
        {
            result = await services.GetRequiredService<AuthProviderChain>().AuthenticateAsync(username, password, cancellationToken).ConfigureAwait(false);
        }

        var user = result.Identity is null
            ? null
            : await services.GetRequiredService<UserAccounts>().ResolveAsync(result.Identity, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            await attempt.FailedAsync().ConfigureAwait(false);
            reporter.Failed(username, client, (result.Tried.Count == 0 ? "none" : string.Join(", ", result.Tried)) +
                (result.Failed.Count == 0 ? "" : "; failed: " + string.Join(", ", result.Failed)));
            return Problem(StatusCodes.Status401Unauthorized, "invalid_credentials", "The username or password is incorrect.");
        }

        await attempt.SucceededAsync(cancellationToken).ConfigureAwait(false);
        reporter.Succeeded(user.Username, result.Identity!.Provider, client);
        await devices.IssueAsync(http, userKey, user, cancellationToken).ConfigureAwait(false);
        return await IssueAsync(http, user, result.Identity.Provider, body.Label, body.Session == BrowserSession.CookieMode, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IResult> IssueAsync(HttpContext http, UserRecord user, string provider, string? label, bool cookie,
        CancellationToken cancellationToken)
    {
        var agent = http.Request.Headers.UserAgent.ToString();
        var text = string.IsNullOrWhiteSpace(label) ? $"web-session · {provider}" + (agent.Length > 0 ? $" · {agent}" : "") : label.Trim();
        text = new string(text.Where(c => !char.IsControl(c)).Take(200).ToArray());
        var (token, session) = await http.RequestServices.GetRequiredService<SessionService>().IssueAsync(user, text, cancellationToken).ConfigureAwait(false);
        if (cookie)
        {
            // The token goes only into the HttpOnly cookie; the page gets what it needs to send state changes.
            BrowserSession.Append(http, token, session.ExpiresAt);
            http.Response.Headers.CacheControl = "no-store";
        }

        return Results.Json(SignInAnswer.For(user, session, provider, token, cookie));
    }

    private static async Task<IResult> LogoutAsync(HttpContext http, ClaimsPrincipal principal, [FromServices] SessionService sessions,
        [FromServices] SignInReporter reporter, CancellationToken cancellationToken)
    {
        await sessions.RevokeOwnAsync(principal.Identity!.Name!, SessionId(principal), cancellationToken).ConfigureAwait(false);
        reporter.LoggedOut(principal.Identity.Name!);
        if (principal.HasClaim(c => c.Type == LyndrixAuthentication.CsrfClaim))
        {
            BrowserSession.Delete(http);
        }

        return Results.NoContent();
    }

    private static IResult MeAsync(HttpContext http)
    {
        // The bearer handler has just validated the session (or taken it from the one-second cache): no second read.
        var (session, user) = BearerSessionHandler.Current(http);
        var csrf = http.User.FindFirstValue(LyndrixAuthentication.CsrfClaim);
        if (csrf is not null)
        {
            http.Response.Headers.CacheControl = "no-store";
        }

        return Results.Json(new MeAnswer
        {
            Username = user.Username,
            DisplayName = user.FullName ?? user.Username,
            Email = user.Email,
            Roles = user.Roles,
            IsAdmin = user.IsAdmin,
            Provider = UserAccounts.ProviderOf(user),
            Session = new MeSession(session.Id, session.CreatedAt, session.ExpiresAt),
            CsrfToken = csrf,
        });
    }

    private static async Task<IResult> ListSessionsAsync(ClaimsPrincipal principal, [FromServices] SessionService sessions, CancellationToken cancellationToken)
    {
        var own = await sessions.ListActiveAsync(principal.Identity!.Name!, cancellationToken).ConfigureAwait(false);
        var current = SessionId(principal);
        return Results.Json(new
        {
            sessions = own.Select(s => new
            {
                id = s.Id, label = s.Label, created_at = s.CreatedAt, expires_at = s.ExpiresAt, last_used_at = s.LastUsedAt, current = s.Id == current,
            }),
        });
    }

    private static async Task<IResult> RevokeSessionAsync(string id, ClaimsPrincipal principal, [FromServices] SessionService sessions, CancellationToken cancellationToken)
    {
        // Another user's session and a missing one answer alike, so ids cannot be probed.
        return await sessions.RevokeOwnAsync(principal.Identity!.Name!, id, cancellationToken).ConfigureAwait(false)
            ? Results.NoContent()
            : Problem(StatusCodes.Status404NotFound, "not_found", $"You have no active session '{id}'. GET /api/auth/sessions lists yours.");
    }

    private static async Task<IResult> ChangePasswordAsync(HttpContext http, ClaimsPrincipal principal, [FromServices] IUserStore users,
        [FromServices] PasswordHasher hasher, [FromServices] SessionService sessions, [FromServices] SignInGate gate,
        [FromServices] LoginDeviceCookies devices, [FromServices] AuthSettings settings, [FromServices] ILogger<AuthProviderChain> logger,
        CancellationToken cancellationToken)
    {
        var (body, error) = await ReadAsync<PasswordChangeRequest>(http, "{\"current_password\": \"…\", \"new_password\": \"…\"}", cancellationToken)
            .ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var user = await users.FindAsync(principal.Identity!.Name!, cancellationToken).ConfigureAwait(false);
        if (user is null || !UserAccounts.IsLocal(user) || user.PasswordHash is null)
        {
            return Problem(StatusCodes.Status409Conflict, "not_local",
                "This account signs in through an external provider; change the password there.");
        }

        var current = body!.CurrentPassword ?? "";
        var fresh = body.NewPassword ?? "";
        // Checked before the current password: the answer says nothing about it, and a refused password costs no hashing.
        if (settings.PasswordPolicy.Check(user.Username, fresh) is { } refusal)
        {
            return Problem(StatusCodes.Status400BadRequest, refusal.Code, refusal.Detail);
        }

        var userKey = UserNames.ThrottleKey(user.Username);
        // The same gate as the login: an owner whose browser holds a device cookie of the account is not locked out of changing
        // the password by others' guesses.
        using var attempt = await gate.EnterAsync(http, userKey, _ => Task.FromResult<UserRecord?>(user), cancellationToken).ConfigureAwait(false);
        if (attempt.Refusal is { } refused)
        {
            return refused;
        }

        UserRecord changed;
        using (attempt.Prioritize())
        {
            if (current.Length == 0 || !await hasher.VerifyAsync(user.PasswordHash, current, cancellationToken).ConfigureAwait(false))
            {
                await attempt.FailedAsync().ConfigureAwait(false);
                return Problem(StatusCodes.Status403Forbidden, "invalid_credentials", "The current password is incorrect.");
            }

            await attempt.SucceededAsync(cancellationToken).ConfigureAwait(false);
            changed = user with { PasswordHash = await hasher.HashAsync(fresh, cancellationToken).ConfigureAwait(false) };
        }

        // The bootstrap marker is kept on purpose: it records the environment value, so this change survives restarts.
        // The new hash is also a new credential stamp: every device cookie of the account is void from here on, so this browser
        // gets a fresh one.
        await users.UpdateAsync(changed, cancellationToken).ConfigureAwait(false);
        await devices.IssueAsync(http, userKey, changed, cancellationToken).ConfigureAwait(false);
        var revoked = await sessions.RevokeOthersAsync(user.Username, SessionId(principal), cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Password of '{User}' changed; {Count} other session(s) revoked", UserNames.ForLog(user.Username), revoked);
        return Results.NoContent();
    }

    private static async Task<IResult> SsoStartAsync(string provider, HttpContext http, [FromServices] IamState iam, [FromServices] AuthSettings settings,
        CancellationToken cancellationToken)
    {
        if (!iam.IsReady)
        {
            return NotReady();
        }

        if (ActiveSso(http, provider) is not { } sso)
        {
            return UnknownSso(provider);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.ProviderTimeout);
        SsoChallenge challenge;
        try
        {
            challenge = await sso.BeginAsync(timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            http.RequestServices.GetRequiredService<ILogger<AuthProviderChain>>()
                .LogWarning("Single sign-on start through '{Provider}' failed ({Error})", UserNames.ForLog(provider), SecretScrubber.Describe(ex, null));
            return Problem(StatusCodes.Status502BadGateway, "sso_unavailable",
                $"The identity provider behind '{provider}' could not be reached. Try again later, or sign in another way.");
        }

        http.Response.Cookies.Append(SsoCookiePrefix + provider, challenge.State, new CookieOptions
        {
            HttpOnly = true,
            Secure = http.Request.IsHttps,
            SameSite = SameSiteMode.Lax,
            Path = "/auth/callback/" + provider,
            MaxAge = TimeSpan.FromMinutes(10),
        });
        return Results.Redirect(challenge.AuthorizationUrl.AbsoluteUri);
    }

    private static async Task<IResult> SsoCallbackAsync(string provider, HttpContext http, [FromServices] IamState iam, [FromServices] AuthSettings settings,
        [FromServices] SsoHandoffCodes handoff, [FromServices] ILogger<AuthProviderChain> logger, CancellationToken cancellationToken)
    {
        if (!iam.IsReady)
        {
            return NotReady();
        }

        if (ActiveSso(http, provider) is not { } sso)
        {
            return UnknownSso(provider);
        }

        var query = http.Request.Query;
        var state = query["state"].ToString();
        var expected = http.Request.Cookies[SsoCookiePrefix + provider] ?? "";
        http.Response.Cookies.Delete(SsoCookiePrefix + provider, new CookieOptions { Path = "/auth/callback/" + provider });
        if (state.Length == 0 || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(state), Encoding.UTF8.GetBytes(expected)))
        {
            logger.LogWarning("Single sign-on callback for '{Provider}' refused: its state does not belong to this browser", provider);
            return Problem(StatusCodes.Status400BadRequest, "state_mismatch",
                $"This sign-in was not started in this browser, or it expired. Start again at /api/auth/sso/{provider}/start.");
        }

        AuthResult? identity;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(settings.ProviderTimeout);
            try
            {
                var callback = new SsoCallback(state, NullIfEmpty(query["code"]), NullIfEmpty(query["error"]), NullIfEmpty(query["error_description"]));
                identity = await sso.CompleteAsync(callback, timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Single sign-on through '{Provider}' failed ({Error})", provider, SecretScrubber.Describe(ex, null));
                return Problem(StatusCodes.Status502BadGateway, "sso_unavailable",
                    $"The identity provider behind '{provider}' could not complete the sign-in. Try again, or sign in another way.");
            }
        }

        var user = identity is null
            ? null
            : await http.RequestServices.GetRequiredService<UserAccounts>().ResolveAsync(identity with { Provider = provider }, cancellationToken)
                .ConfigureAwait(false);
        if (user is null)
        {
            return Problem(StatusCodes.Status401Unauthorized, "sso_refused",
                "The sign-in was refused. Start again; if it keeps failing, the server log says why.");
        }

        http.RequestServices.GetRequiredService<SignInReporter>().Succeeded(user.Username, provider, ClientKey.For(http));
        var code = await handoff.IssueAsync(user.Username, provider, cancellationToken).ConfigureAwait(false);
        return Results.Redirect($"{settings.SsoCompleteUrl}{(settings.SsoCompleteUrl.Contains('?') ? '&' : '?')}code={Uri.EscapeDataString(code)}");
    }

    private static async Task<IResult> TokenExchangeAsync(HttpContext http, [FromServices] SsoHandoffCodes handoff, [FromServices] IUserStore users, CancellationToken cancellationToken)
    {
        var (body, error) = await ReadAsync<TokenExchangeRequest>(http, "{\"code\": \"…\"}", cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var redeemed = string.IsNullOrEmpty(body!.Code) ? null : await handoff.RedeemAsync(body.Code, cancellationToken).ConfigureAwait(false);
        if (redeemed is not var (username, provider) || await users.FindAsync(username, cancellationToken).ConfigureAwait(false) is not { } user)
        {
            return Problem(StatusCodes.Status400BadRequest, "invalid_code",
                "The code is unknown, expired (codes live one minute) or already used. Sign in again.");
        }

        return await IssueAsync(http, user, provider, null, cookie: false, cancellationToken).ConfigureAwait(false);
    }

    private static ISsoAuthProvider? ActiveSso(HttpContext http, string provider)
    {
        var chain = http.RequestServices.GetRequiredService<AuthProviderChain>();
        var status = chain.Describe().FirstOrDefault(s => s.Id == provider);
        return status is { Listed: true, State: AuthProviderStatus.Active, IsSso: true } &&
               http.RequestServices.GetRequiredService<IAuthProviderRegistry>().TryGet(provider, out var p, out _)
            ? p as ISsoAuthProvider
            : null;
    }

    private static IResult UnknownSso(string provider) => Problem(StatusCodes.Status404NotFound, "unknown_provider",
        $"'{UserNames.ForLog(provider)}' is not an active single sign-on provider. GET /api/auth/providers lists the active ones.");

    private static async Task<(T? Body, IResult? Error)> ReadAsync<T>(HttpContext http, string shape, CancellationToken cancellationToken)
        where T : class
    {
        var hint = $"Send a JSON body like {shape} with Content-Type: application/json.";
        if (!http.Request.HasJsonContentType())
        {
            return (null, Problem(StatusCodes.Status415UnsupportedMediaType, "invalid_request", hint));
        }

        try
        {
            // Not cancelled with the request: a body read cancelled mid-way leaves Kestrel's reader busy (dotnet/aspnetcore#52324),
            // and a client that hangs up ends the read anyway. The body is capped and must arrive at Kestrel's minimum rate.
            var body = await http.Request.ReadFromJsonAsync<T>(CancellationToken.None).ConfigureAwait(false);
            return body is null ? (null, Problem(StatusCodes.Status400BadRequest, "invalid_request", hint)) : (body, null);
        }
        catch (JsonException)
        {
            return (null, Problem(StatusCodes.Status400BadRequest, "invalid_request", "The body is not valid JSON. " + hint));
        }
    }

    private static IResult NotReady() => Problem(StatusCodes.Status503ServiceUnavailable, "starting",
        "Sign-in is not available yet: the host is still starting (GET /api/boot shows what it waits on). Try again shortly.");

    private static IResult Problem(int status, string code, string detail) => ApiProblem.Result(status, code, detail);

    private static string SessionId(ClaimsPrincipal principal) => principal.FindFirstValue(LyndrixAuthentication.SessionIdClaim) ?? "";

    private static string? NullIfEmpty(Microsoft.Extensions.Primitives.StringValues value) => value.Count == 0 || value[0] is null or "" ? null : value[0];
}
