using System.Net;
using System.Text.RegularExpressions;

namespace Lyndrix.IntegrationTests.Support;

/// <summary>
/// What a browser does in a sign-in, without JavaScript: keeps cookies per site, follows redirects one by one (so a test sees
/// each hop), and submits the HTML forms a provider shows — the login form with a user name and password, the consent form as is.
/// </summary>
public sealed partial class BrowserSession : IDisposable
{
    private readonly HttpClient _http = new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() });

    public HttpClient Http => _http;

    /// <summary>
    /// From <c>GET /api/auth/sso/oidc/start</c> on <paramref name="host"/> through the provider's pages until the provider
    /// redirects back to the host's callback; returns that callback URL without visiting it.
    /// </summary>
    public async Task<Uri> ThroughProviderAsync(Uri host, string user, string password)
    {
        var response = await _http.GetAsync(new Uri(host, "/api/auth/sso/oidc/start"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await response.Content.ReadAsStringAsync());
        for (var step = 0; step < 20; step++)
        {
            var here = response.RequestMessage!.RequestUri!;
            if (response.Headers.Location is { } location)
            {
                var next = new Uri(here, location);
                if (next.Authority == host.Authority && next.AbsolutePath.StartsWith("/auth/callback/", StringComparison.Ordinal))
                {
                    return next;
                }

                response = await _http.GetAsync(next);
                continue;
            }

            var html = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{here}: {html}");
            var form = FormPattern().Match(html);
            Assert.That(form.Success, Is.True, $"{here} shows no form and no redirect: {html}");
            var action = new Uri(here, WebUtility.HtmlDecode(form.Groups[1].Value));
            var fields = action.AbsolutePath.EndsWith("/login", StringComparison.Ordinal)
                ? new Dictionary<string, string> { ["login"] = user, ["password"] = password }
                : [];
            response = await _http.PostAsync(action, new FormUrlEncodedContent(fields));
        }

        Assert.Fail("the provider never redirected back to the host");
        return null!;
    }

    public void Dispose() => _http.Dispose();

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]+)\"")]
    private static partial Regex FormPattern();
}
