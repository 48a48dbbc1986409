using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Auth;

/// <summary>
/// The browser's session cookie next to bearer tokens, tried against the real host as a cross-site attacker would: every way a
/// request can ride on the cookie without the console's CSRF token or from another origin is refused, and the bearer API
/// answers exactly as before.
/// </summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class BrowserSessionTests : IDisposable
{
    // Cookies are set by hand on each request: the handler keeps none, so each request carries exactly what the test says.
    private HttpClient? _client;

    private HttpClient Client(AuthHost host) => _client ??= new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = host.Client.BaseAddress };

    public void Dispose() => _client?.Dispose();

    /// <summary>The session cookie a sign-in set (a device cookie is set beside it).</summary>
    private static string SessionCookie(HttpResponseMessage response) =>
        response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(BrowserSession.PlainCookie + "=", StringComparison.Ordinal) ||
                                                             c.StartsWith(BrowserSession.SecureCookie + "=", StringComparison.Ordinal));

    private async Task<(string Cookie, string Csrf, JsonElement Body)> CookieLoginAsync(AuthHost host)
    {
        using var response = await Client(host).PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "lyndrix", session = "cookie" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        var setCookie = SessionCookie(response);
        if (host.Client.BaseAddress!.Scheme == "https")
        {
            Assert.That(setCookie, Does.Contain("; secure").IgnoreCase.And.Contain("path=/").And.Not.Contain("domain=").IgnoreCase);
        }

        var body = JsonDocument.Parse(text).RootElement.Clone();
        return (setCookie.Split(';')[0], body.GetProperty("csrf_token").GetString()!, body);
    }

    private static HttpRequestMessage WithCookie(HttpMethod method, string path, string cookie, string? origin = null, string? csrf = null, string? json = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", cookie);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (csrf is not null)
        {
            request.Headers.Add(BrowserSession.CsrfHeader, csrf);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return request;
    }

    private static string Own(AuthHost host) => host.Client.BaseAddress!.GetLeftPart(UriPartial.Authority);

    [Test]
    public async Task A_cookie_sign_in_puts_the_token_only_in_an_HttpOnly_SameSite_Strict_cookie()
    {
        await using var host = await AuthHost.StartAsync([]);
        using var response = await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "lyndrix", session = "cookie" });
        var text = await response.Content.ReadAsStringAsync();
        var setCookie = SessionCookie(response);
        var token = setCookie.Split(';')[0].Split('=', 2)[1];
        Assert.Multiple(() =>
        {
            Assert.That(setCookie, Does.StartWith(BrowserSession.PlainCookie + "=lys_"));
            Assert.That(setCookie, Does.Contain("httponly").IgnoreCase);
            Assert.That(setCookie, Does.Contain("samesite=strict").IgnoreCase);
            Assert.That(setCookie, Does.Contain("path=/"));
            Assert.That(setCookie, Does.Not.Contain("secure").IgnoreCase, "plain HTTP: a Secure cookie would be dropped by the browser");
            Assert.That(text, Does.Not.Contain(token), "the page's script never sees the token");
            Assert.That(text, Does.Contain("\"token_type\":\"Cookie\"").And.Contain("\"csrf_token\":\"" + BrowserSession.CsrfTokenFor(token) + "\""));
            Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
        });
    }

    [Test]
    public async Task Over_https_the_cookie_is_Secure_and_host_only()
    {
        using var dir = new TempDirectory();
        var (cert, key) = TestCertificate.WritePem(dir, "lyndrix.test");
        await using var host = await AuthHost.StartAsync([("LYNDRIX_TLS_CERT", cert), ("LYNDRIX_TLS_KEY", key)]);
        var expected = TestCertificate.Thumbprint(cert);
        using var handler = new HttpClientHandler
        {
            UseCookies = false,
            ServerCertificateCustomValidationCallback = (_, c, _, _) => c!.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256).AsSpan().SequenceEqual(expected),
        };
        _client = new HttpClient(handler) { BaseAddress = host.Client.BaseAddress };
        var (cookie, csrf, _) = await CookieLoginAsync(host);
        Assert.That(cookie, Does.StartWith(BrowserSession.SecureCookie + "=lys_"));

        using var me = await Client(host).SendAsync(WithCookie(HttpMethod.Get, "/api/auth/me", cookie));
        Assert.That(me.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        // The plain name is not read over HTTPS: a cookie an HTTP page planted (browsers let http://host set cookies without the
        // __Host- prefix) never authenticates a secure session.
        using var planted = await Client(host).SendAsync(WithCookie(HttpMethod.Get, "/api/auth/me", BrowserSession.PlainCookie + "=" + cookie.Split('=', 2)[1]));
        Assert.That(planted.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        using var logout = await Client(host).SendAsync(WithCookie(HttpMethod.Post, "/api/auth/logout", cookie, Own(host), csrf));
        Assert.That(logout.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task The_bearer_api_answers_as_before()
    {
        await using var host = await AuthHost.StartAsync([]);
        using var login = await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "lyndrix" });
        var body = await login.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(login.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [], Has.None.Contains("_session="),
            "no session cookie unless asked for (the device cookie is set for every login)");
        Assert.That(body.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[]
        {
            "token", "token_type", "expires_at", "session_id", "username", "display_name", "roles", "is_admin", "provider",
        }));
        Assert.That(body.GetProperty("token_type").GetString(), Is.EqualTo("Bearer"));
        var token = body.GetProperty("token").GetString()!;

        using var me = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/auth/me", token));
        var meBody = await me.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(meBody.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "username", "display_name", "email", "roles", "is_admin", "provider", "session" }));

        // A bearer client sends no CSRF token and no Origin, and changes state as before.
        using var logout = await host.Client.SendAsync(host.Request(HttpMethod.Post, "/api/auth/logout", token));
        Assert.That(logout.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task Reads_with_the_cookie_work_and_give_the_page_its_csrf_token_again()
    {
        await using var host = await AuthHost.StartAsync([]);
        var (cookie, csrf, _) = await CookieLoginAsync(host);
        using var me = await Client(host).SendAsync(WithCookie(HttpMethod.Get, "/api/auth/me", cookie));
        var body = await me.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(body.GetProperty("username").GetString(), Is.EqualTo("admin"));
        Assert.That(body.GetProperty("csrf_token").GetString(), Is.EqualTo(csrf));
    }

    [Test]
    public async Task A_state_change_with_the_cookie_needs_the_csrf_token_and_an_origin()
    {
        await using var host = await AuthHost.StartAsync([]);
        var (cookie, csrf, body) = await CookieLoginAsync(host);
        var own = Own(host);
        var session = body.GetProperty("session_id").GetString()!;

        // Each is a request another page could make the browser send with the cookie attached.
        await ProblemAssert.IsProblemAsync(Client(host).SendAsync(WithCookie(HttpMethod.Post, "/api/auth/logout", cookie, own)), 403, "csrf_refused");
        await ProblemAssert.IsProblemAsync(Client(host).SendAsync(WithCookie(HttpMethod.Post, "/api/auth/logout", cookie, own, csrf: "guess")), 403, "csrf_refused");
        await ProblemAssert.IsProblemAsync(Client(host).SendAsync(WithCookie(HttpMethod.Post, "/api/auth/logout", cookie, own, csrf: csrf[..^1] + (csrf[^1] == 'A' ? "B" : "A"))), 403,
            "csrf_refused");
        await ProblemAssert.IsProblemAsync(Client(host).SendAsync(WithCookie(HttpMethod.Post, "/api/auth/logout", cookie, origin: null, csrf: csrf)), 403,
            "csrf_refused");
        await ProblemAssert.IsProblemAsync(Client(host).SendAsync(WithCookie(HttpMethod.Delete, $"/api/auth/sessions/{session}", cookie, own)), 403, "csrf_refused");
        await ProblemAssert.IsProblemAsync(Client(host).SendAsync(WithCookie(HttpMethod.Post, "/api/auth/logout", cookie, "http://evil.example", csrf)), 403,
            "foreign_origin");
        await ProblemAssert.IsProblemAsync(Client(host).SendAsync(WithCookie(HttpMethod.Post, "/api/auth/password", cookie, own,
            json: "{\"current_password\": \"lyndrix\", \"new_password\": \"attacker-chosen-1\"}")), 403, "csrf_refused");

        // None of them did anything: the session is alive and the password unchanged.
        using (var me = await Client(host).SendAsync(WithCookie(HttpMethod.Get, "/api/auth/me", cookie)))
        {
            Assert.That(me.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        await host.LoginAsync("admin", "lyndrix");

        // The console's own request: cookie, own origin and the token. Signing out also removes the cookie.
        using var logout = await Client(host).SendAsync(WithCookie(HttpMethod.Post, "/api/auth/logout", cookie, own, csrf));
        Assert.That(logout.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(logout.Headers.GetValues("Set-Cookie").Single(), Does.StartWith(BrowserSession.PlainCookie + "=;").And.Contain("expires=Thu, 01 Jan 1970"));
        using var after = await Client(host).SendAsync(WithCookie(HttpMethod.Get, "/api/auth/me", cookie));
        Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the session is revoked, not just forgotten by the browser");
    }

    [Test]
    public async Task A_csrf_token_belongs_to_its_own_session_only()
    {
        await using var host = await AuthHost.StartAsync([]);
        var (cookie, _, _) = await CookieLoginAsync(host);
        var (_, otherCsrf, _) = await CookieLoginAsync(host);
        await ProblemAssert.IsProblemAsync(Client(host).SendAsync(WithCookie(HttpMethod.Post, "/api/auth/logout", cookie, Own(host), otherCsrf)), 403, "csrf_refused");
        var token = cookie.Split('=', 2)[1];
        Assert.That(BrowserSession.CsrfTokenFor(token), Is.Not.EqualTo(SessionTokens.Hash(token)), "not the stored hash of the token");
    }

    [Test]
    public async Task An_unknown_session_mode_is_refused_with_what_to_send()
    {
        await using var host = await AuthHost.StartAsync([]);
        await ProblemAssert.IsProblemAsync(host.Client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = "lyndrix", session = "cookies" }),
            400, "invalid_request");
    }
}
