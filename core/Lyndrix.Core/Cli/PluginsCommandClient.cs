using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Lyndrix.Core.Modules;

namespace Lyndrix.Core.Cli;

/// <summary>The CLI's side of <c>/api/plugins</c>; sends the administrator's session token when one is given.</summary>
internal sealed class PluginsCommandClient(string url, string? token)
{
    public string Url { get; } = url;

    public bool HasToken => !string.IsNullOrEmpty(token);

    public static string AuthHelp(int status) => status == 401
        ? "The plugin API needs an administrator's session (401). Log in with POST /api/auth/login and pass the token with --token or LYNDRIX_TOKEN."
        : "The session is not an administrator's (403): the plugin API is admin-only.";

    /// <summary>The host's live plugin list, or why there is none (no host, not authorized).</summary>
    public async Task<(IReadOnlyDictionary<string, PluginInfo>? Plugins, string Problem)> TryListAsync(CancellationToken cancellationToken)
    {
        using var client = Create(TimeSpan.FromSeconds(3));
        try
        {
            using var response = await client.GetAsync(new Uri(Url + "/api/plugins"), cancellationToken).ConfigureAwait(false);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                return (null, $"The host at {Url} refused: {AuthHelp((int)response.StatusCode)}");
            }

            if (!response.IsSuccessStatusCode)
            {
                var problem = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                return (null, $"The host at {Url} answered {(int)response.StatusCode}: {HostProblem.Detail(problem, response.ReasonPhrase)}");
            }

            var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
            var plugins = body.GetProperty("plugins").Deserialize<List<PluginInfo>>() ?? [];
            return (plugins.ToDictionary(p => p.Id, StringComparer.Ordinal), "");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return (null, $"No host answered at {Url}");
        }
    }

    /// <returns>The status and body, or an error that says what to do when no host answered.</returns>
    public Task<(int Status, string Body, string? Error)> PostAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, null, cancellationToken);

    /// <returns>The status and body, or an error that says what to do when no host answered.</returns>
    public async Task<(int Status, string Body, string? Error)> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        // Setup and unload can take as long as their timeouts; the host bounds them, so a generous client timeout is safe.
        using var client = Create(TimeSpan.FromMinutes(5));
        try
        {
            using var request = new HttpRequestMessage(method, new Uri(Url + path)) { Content = content };
            using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return ((int)response.StatusCode, body, null);
        }
        catch (HttpRequestException ex)
        {
            return (0, "", $"No Lyndrix host answered at {Url} ({ex.Message}). Start it with 'lyndrix run', or pass --url if it listens elsewhere.");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (0, "", $"The host at {Url} did not answer within 5 minutes.");
        }
    }

    private HttpClient Create(TimeSpan timeout)
    {
        var client = new HttpClient { Timeout = timeout };
        if (!string.IsNullOrEmpty(token))
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }
}
