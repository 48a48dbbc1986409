using System.Net.Http.Json;
using System.Text.Json;
using Lyndrix.Core.Modules;

namespace Lyndrix.Core.Cli;

/// <summary>The CLI's side of <c>/api/plugins</c>.</summary>
internal static class PluginsCommandClient
{
    /// <summary>The host's live plugin list, or <see langword="null"/> when no host answers.</summary>
    public static async Task<IReadOnlyDictionary<string, PluginInfo>?> TryListAsync(string url, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(new Uri(url + "/api/plugins"), cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
            var plugins = body.GetProperty("plugins").Deserialize<List<PluginInfo>>() ?? [];
            return plugins.ToDictionary(p => p.Id, StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <returns>The status and body, or an error that says what to do when no host answered.</returns>
    public static async Task<(int Status, string Body, string? Error)> PostAsync(string url, string path, CancellationToken cancellationToken)
    {
        // Setup and unload can take as long as their timeouts; the host bounds them, so a generous client timeout is safe.
        using var client = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        try
        {
            using var response = await client.PostAsync(new Uri(url + path), null, cancellationToken).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return ((int)response.StatusCode, body, null);
        }
        catch (HttpRequestException ex)
        {
            return (0, "", $"No Lyndrix host answered at {url} ({ex.Message}). Start it with 'lyndrix run', or pass --url if it listens elsewhere.");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (0, "", $"The host at {url} did not answer within 5 minutes.");
        }
    }
}
