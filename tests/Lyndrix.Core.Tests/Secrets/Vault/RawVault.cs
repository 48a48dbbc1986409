using System.Net.Http.Headers;
using System.Text;

namespace Lyndrix.Core.Tests.Secrets.Vault;

/// <summary>A bare HTTP client for checking the double's wire behaviour byte by byte, independent of our Vault client.</summary>
internal sealed class RawVault(Uri baseAddress) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = baseAddress };

    public string? Token { get; set; }

    public async Task<RawReply> SendAsync(string method, string path, string? json = null, string? token = null, string? contentType = "application/json",
        bool bearer = false, bool vaultRequestHeader = true)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), "v1/" + path);
        var t = token ?? Token;
        if (t is not null)
        {
            if (bearer)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", t);
            }
            else
            {
                request.Headers.TryAddWithoutValidation("X-Vault-Token", t);
            }
        }

        if (vaultRequestHeader)
        {
            request.Headers.TryAddWithoutValidation("X-Vault-Request", "true");
        }

        if (json is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
            if (contentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }
        }

        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return new RawReply((int)response.StatusCode, body, response.Headers.CacheControl?.ToString(), response.Content.Headers.ContentType?.MediaType,
            response.Headers.Location, response.Headers.RetryAfter?.ToString());
    }

    public Task<RawReply> GetAsync(string path, string? token = null) => SendAsync("GET", path, token: token);

    public Task<RawReply> PostAsync(string path, string json, string? token = null) => SendAsync("POST", path, json, token);

    public void Dispose() => _http.Dispose();
}
