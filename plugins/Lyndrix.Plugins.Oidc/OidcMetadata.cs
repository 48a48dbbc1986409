using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Lyndrix.Plugins.Oidc;

/// <summary>
/// The identity provider's discovery document and signing keys, fetched from <c>&lt;issuer&gt;/.well-known/openid-configuration</c>
/// and its <c>jwks_uri</c>, cached for an hour. The keys are fetched again when a token names a key id we do not know (key
/// rotation), at most once a minute so forged tokens with random key ids cannot make us hammer the provider.
/// </summary>
internal sealed class OidcMetadata(HttpClient http, OidcSettings settings, TimeProvider time)
{
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromHours(1);
    private static readonly TimeSpan KeyRefreshInterval = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Document? _document;
    private DateTimeOffset _documentFetched;
    private IReadOnlyList<SecurityKey> _keys = [];
    private DateTimeOffset _keysFetched = DateTimeOffset.MinValue;

    internal sealed record Document(string Issuer, Uri AuthorizationEndpoint, Uri TokenEndpoint, Uri JwksUri);

    public async Task<Document> GetDocumentAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_document is null || time.GetUtcNow() - _documentFetched > CacheLifetime)
            {
                _document = await FetchDocumentAsync(cancellationToken).ConfigureAwait(false);
                _documentFetched = time.GetUtcNow();
            }

            return _document;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<SecurityKey>> GetKeysAsync(string? keyId, CancellationToken cancellationToken)
    {
        var document = await GetDocumentAsync(cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            var stale = now - _keysFetched > CacheLifetime;
            var unknownKey = keyId is not null && _keys.All(k => k.KeyId != keyId) && now - _keysFetched > KeyRefreshInterval;
            if (stale || unknownKey)
            {
                using var response = await http.GetAsync(document.JwksUri, cancellationToken).ConfigureAwait(false);
                EnsureSuccess(response, "signing keys (jwks_uri)");
                var json = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                _keys = new JsonWebKeySet(json).GetSigningKeys().ToArray();
                _keysFetched = now;
            }

            return _keys;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<Document> FetchDocumentAsync(CancellationToken cancellationToken)
    {
        var url = new Uri(settings.Issuer!.AbsoluteUri.TrimEnd('/') + "/.well-known/openid-configuration");
        using var response = await http.GetAsync(url, cancellationToken).ConfigureAwait(false);
        EnsureSuccess(response, "discovery document");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        var root = doc.RootElement;
        string Required(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
            ? s
            : throw new InvalidOperationException($"The OIDC discovery document at {url} has no '{name}'.");

        var issuer = Required("issuer");
        // OpenID Connect Discovery 1.0 §4.3: the issuer in the document must be the one we asked for.
        if (issuer.TrimEnd('/') != settings.Issuer.AbsoluteUri.TrimEnd('/'))
        {
            throw new InvalidOperationException(
                $"The OIDC discovery document names issuer '{issuer}', not the configured LYNDRIX_OIDC_ISSUER '{settings.Issuer}'. Set LYNDRIX_OIDC_ISSUER to the exact issuer.");
        }

        return new Document(issuer, Endpoint(Required("authorization_endpoint")), Endpoint(Required("token_endpoint")), Endpoint(Required("jwks_uri")));
    }

    private static Uri Endpoint(string raw) =>
        Uri.TryCreate(raw, UriKind.Absolute, out var uri) && (uri.Scheme == "https" || (uri.Scheme == "http" && uri.IsLoopback))
            ? uri
            : throw new InvalidOperationException($"The OIDC provider announced the endpoint '{raw}', which is not an https URL.");

    private static void EnsureSuccess(HttpResponseMessage response, string what)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The OIDC provider answered {(int)response.StatusCode} when asked for its {what}.");
        }
    }
}
