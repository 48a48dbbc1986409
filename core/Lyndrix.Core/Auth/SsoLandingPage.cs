using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Lyndrix.Core.Auth;

/// <summary>
/// The page a browser lands on at <c>LYNDRIX_SSO_COMPLETE_URL</c> after single sign-on, holding <c>?code=</c>. Its script first
/// replaces the history entry with the same address minus the code (so neither the address bar, the history nor a bookmark
/// keeps it), then redeems the code once with <c>POST /api/auth/token-exchange</c> and keeps the bearer token in
/// <c>sessionStorage</c> (<see cref="StorageKey"/>) for the console, never in a URL. It loads nothing from anywhere: the only
/// script and style are inline and allowed by hash in a Content-Security-Policy that forbids everything else, the only
/// connection allowed is to this origin, and no referrer leaves the page. A console served at the same path replaces it.
/// </summary>
internal static class SsoLandingPage
{
    public const string StorageKey = "lyndrix.session";

    public const string Script = """
        (function () {
          'use strict';
          var status = document.getElementById('status');
          var params = new URLSearchParams(window.location.search);
          var code = params.get('code');
          params.delete('code');
          var rest = params.toString();
          window.history.replaceState(null, '', window.location.pathname + (rest ? '?' + rest : '') + window.location.hash);
          if (!code) {
            status.textContent = 'There is no sign-in to complete here. Start one from the sign-in page.';
            return;
          }
          fetch('/api/auth/token-exchange', {
            method: 'POST', credentials: 'same-origin', cache: 'no-store', referrerPolicy: 'no-referrer',
            headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: code })
          }).then(function (response) {
            return response.json().then(function (body) { return { ok: response.ok, body: body || {} }; });
          }).then(function (result) {
            if (!result.ok) {
              status.textContent = result.body.detail || result.body.message || 'The sign-in could not be completed. Sign in again.';
              return;
            }
            sessionStorage.setItem('lyndrix.session', JSON.stringify({ token: result.body.token, expires_at: result.body.expires_at }));
            status.textContent = 'Signed in as ' + result.body.display_name + '. You can close this page.';
          }).catch(function () {
            status.textContent = 'The server could not be reached. Sign in again.';
          });
        })();
        """;

    public const string Style = "body{font-family:system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh}main{max-width:32rem;padding:2rem}";

    public static readonly string ContentSecurityPolicy =
        $"default-src 'none'; script-src '{Hash(Script)}'; style-src '{Hash(Style)}'; connect-src 'self'; img-src 'none'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static readonly string Html = $"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>Lyndrix sign-in</title>
        <style>{Style}</style>
        </head>
        <body>
        <main><h1>Lyndrix</h1><p id="status">Completing the sign-in…</p><noscript>This page needs JavaScript to complete the sign-in.</noscript><p><a href="/">Open the console</a></p></main>
        <script>{Script}</script>
        </body>
        </html>
        """;

    /// <summary>Serves the page at the path of the complete URL (its query, if any, is the operator's and stays).</summary>
    public static IEndpointRouteBuilder MapSsoLandingPage(this IEndpointRouteBuilder app)
    {
        var completeUrl = app.ServiceProvider.GetRequiredService<AuthSettings>().SsoCompleteUrl;
        var path = completeUrl.Split('?', 2)[0];
        app.MapGet(path, (HttpContext http) =>
        {
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.CacheControl = "no-store";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            return Results.Content(Html, "text/html; charset=utf-8");
        });
        return app;
    }

    /// <summary>The CSP source expression that allows exactly this inline text.</summary>
    public static string Hash(string inline) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(inline)));
}
