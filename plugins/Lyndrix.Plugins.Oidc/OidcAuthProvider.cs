using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lyndrix.Sdk.Auth;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Lyndrix.Plugins.Oidc;

/// <summary>
/// The <c>oidc</c> provider: authorization code flow with PKCE (S256), state and nonce. Each sign-in's verifier and nonce
/// are kept under its state for five minutes and used once. The code is redeemed with the client authentication the provider
/// accepts (<see cref="OidcClientAuthentication"/>). The ID token is validated completely: signature against the provider's
/// published keys (fetched again at once when it names an unknown key), issuer, audience (and <c>azp</c>), expiry and
/// not-before (one minute of clock skew), and the nonce. When the provider has a userinfo endpoint, it is asked with the
/// access token, its <c>sub</c> must match the ID token's, and its claims win over the ID token's (<see cref="OidcClaims"/>).
/// </summary>
internal sealed class OidcAuthProvider(OidcSettings settings, HttpClient http, ILogger logger, TimeProvider time) : ISsoAuthProvider
{
    public static readonly TimeSpan PendingLifetime = TimeSpan.FromMinutes(5);
    private const int MaxPending = 10_000;
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    private readonly Lazy<OidcDiscovery> _lazyDiscovery = new(() => new OidcDiscovery(http, settings, time));
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly JsonWebTokenHandler _tokens = new();

    /// <summary>Built on first use: an unconfigured provider has no issuer to discover.</summary>
    private OidcDiscovery _discovery => _lazyDiscovery.Value;

    private sealed record Pending(string Verifier, string Nonce, DateTimeOffset Expires);

    public string ProviderId => "oidc";

    public string DisplayName => settings.DisplayName;

    public bool IsConfigured => settings.IsComplete;

    public OidcSettings Settings => settings;

    /// <summary>Password logins never reach an SSO provider; the chain skips it, and this answers no just in case.</summary>
    public Task<AuthResult?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken) =>
        Task.FromResult<AuthResult?>(null);

    public async Task<SsoChallenge> BeginAsync(CancellationToken cancellationToken)
    {
        EnsureConfigured();
        var configuration = await _discovery.GetAsync(cancellationToken).ConfigureAwait(false);
        var authorizationEndpoint = _discovery.Endpoint(configuration.AuthorizationEndpoint, "authorization_endpoint");
        Sweep();
        if (_pending.Count >= MaxPending)
        {
            throw new InvalidOperationException("Too many single sign-ons are in progress; try again in a few minutes.");
        }

        var state = RandomUrlSafe(32);
        var nonce = RandomUrlSafe(32);
        var verifier = RandomUrlSafe(48);
        _pending[state] = new Pending(verifier, nonce, time.GetUtcNow() + PendingLifetime);

        var query = new Dictionary<string, string>
        {
            ["response_type"] = "code",
            ["client_id"] = settings.ClientId!,
            ["redirect_uri"] = settings.RedirectUri!.AbsoluteUri,
            ["scope"] = settings.RequestedScopes(configuration.ScopesSupported),
            ["state"] = state,
            ["nonce"] = nonce,
            ["code_challenge"] = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))),
            ["code_challenge_method"] = "S256",
        };
        var separator = authorizationEndpoint.Query.Length > 0 ? "&" : "?";
        var url = authorizationEndpoint.AbsoluteUri + separator +
                  string.Join("&", query.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        return new SsoChallenge(new Uri(url), state);
    }

    public async Task<AuthResult?> CompleteAsync(SsoCallback callback, CancellationToken cancellationToken)
    {
        var outcome = await CompleteDetailedAsync(callback, cancellationToken).ConfigureAwait(false);
        if (outcome.Refusal is not null)
        {
            logger.LogWarning("OIDC sign-in refused: {Reason}", outcome.Refusal);
        }

        return outcome.Identity;
    }

    internal async Task<OidcLoginOutcome> CompleteDetailedAsync(SsoCallback callback, CancellationToken cancellationToken)
    {
        EnsureConfigured();
        Sweep();
        if (!_pending.TryRemove(callback.State, out var pending) || pending.Expires <= time.GetUtcNow())
        {
            return OidcLoginOutcome.Refused("the state is unknown, expired or already used");
        }

        if (callback.Error is not null)
        {
            return OidcLoginOutcome.Refused($"the identity provider answered error '{Printable(callback.Error)}'" +
                                            (callback.ErrorDescription is null ? "" : $" ({Printable(callback.ErrorDescription)})"));
        }

        if (string.IsNullOrEmpty(callback.Code))
        {
            return OidcLoginOutcome.Refused("the callback carries no authorization code");
        }

        var configuration = await _discovery.GetAsync(cancellationToken).ConfigureAwait(false);
        var (tokens, refusal) = await RedeemCodeAsync(configuration, callback.Code, pending.Verifier, cancellationToken).ConfigureAwait(false);
        if (tokens is null)
        {
            return OidcLoginOutcome.Refused(refusal!);
        }

        var (idToken, idRefusal) = await ValidateAsync(tokens.Value.IdToken, pending.Nonce, configuration, cancellationToken).ConfigureAwait(false);
        if (idToken is null)
        {
            return OidcLoginOutcome.Refused(idRefusal!);
        }

        using var idPayload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(idToken.EncodedPayload));
        var subject = idToken.Subject;
        if (string.IsNullOrEmpty(subject))
        {
            return OidcLoginOutcome.Refused("the id_token has no 'sub'");
        }

        if (string.IsNullOrEmpty(configuration.UserInfoEndpoint))
        {
            return new OidcLoginOutcome(Map(subject, new OidcClaims(idPayload.RootElement, null)), null);
        }

        var (userInfo, userInfoRefusal) = await ReadUserInfoAsync(configuration, tokens.Value.AccessToken, subject, cancellationToken).ConfigureAwait(false);
        using (userInfo)
        {
            return userInfo is null
                ? OidcLoginOutcome.Refused(userInfoRefusal!)
                : new OidcLoginOutcome(Map(subject, new OidcClaims(idPayload.RootElement, userInfo.RootElement)), null);
        }
    }

    /// <summary>The code exchange (RFC 6749 §4.1.3) with the PKCE verifier and the client authentication for this provider.</summary>
    private async Task<((string IdToken, string? AccessToken)? Tokens, string? Refusal)> RedeemCodeAsync(OpenIdConnectConfiguration configuration, string code,
        string verifier, CancellationToken cancellationToken)
    {
        var method = OidcClientAuthentication.Choose(settings, configuration.TokenEndpointAuthMethodsSupported);
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = settings.RedirectUri!.AbsoluteUri,
            ["code_verifier"] = verifier,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, _discovery.Endpoint(configuration.TokenEndpoint, "token_endpoint"));
        OidcClientAuthentication.Apply(method, settings, request, form);
        request.Content = new FormUrlEncodedContent(form);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return (null, $"the token endpoint answered {(int)response.StatusCode}{await OAuthErrorAsync(response, cancellationToken).ConfigureAwait(false)} " +
                          $"to {OidcClientAuthentication.Name(method)} (wrong client secret or authentication method, or a code used twice?)");
        }

        try
        {
            using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
            var idToken = StringProperty(json.RootElement, "id_token");
            return string.IsNullOrEmpty(idToken)
                ? (null, "the token endpoint returned no id_token (is 'openid' among the scopes?)")
                : ((idToken, StringProperty(json.RootElement, "access_token")), null);
        }
        catch (JsonException)
        {
            return (null, "the token endpoint answered something that is not JSON");
        }
    }

    /// <summary>
    /// The userinfo response (Core §5.3), asked for with the access token. Its <c>sub</c> must be the ID token's (§5.3.2): a
    /// response about another user would otherwise sign this browser in as them.
    /// </summary>
    private async Task<(JsonDocument? Claims, string? Refusal)> ReadUserInfoAsync(OpenIdConnectConfiguration configuration, string? accessToken, string subject,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(accessToken))
        {
            return (null, "the token endpoint returned no access_token, which the userinfo endpoint needs");
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, _discovery.Endpoint(configuration.UserInfoEndpoint, "userinfo_endpoint"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return (null, $"the userinfo endpoint answered {(int)response.StatusCode}{await OAuthErrorAsync(response, cancellationToken).ConfigureAwait(false)}");
        }

        if (response.Content.Headers.ContentType?.MediaType is not ("application/json" or null))
        {
            return (null, $"the userinfo endpoint answered '{response.Content.Headers.ContentType.MediaType}', not JSON " +
                          "(signed or encrypted userinfo responses are not supported: configure the client for plain JSON)");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (JsonException)
        {
            return (null, "the userinfo endpoint answered something that is not JSON");
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object || StringProperty(document.RootElement, "sub") is not { } userInfoSubject ||
            !string.Equals(userInfoSubject, subject, StringComparison.Ordinal))
        {
            var got = document.RootElement.ValueKind == JsonValueKind.Object ? StringProperty(document.RootElement, "sub") : null;
            document.Dispose();
            return (null, $"the userinfo endpoint describes sub '{Printable(got ?? "(none)")}', not the id_token's '{Printable(subject)}' " +
                          "(OIDC Core §5.3.2: its claims must not be used)");
        }

        return (document, null);
    }

    private async Task<(JsonWebToken? Token, string? Refusal)> ValidateAsync(string idToken, string expectedNonce, OpenIdConnectConfiguration configuration,
        CancellationToken cancellationToken)
    {
        string? keyId;
        try
        {
            keyId = _tokens.ReadJsonWebToken(idToken).Kid;
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenException)
        {
            return (null, "the id_token is not a JWT");
        }

        var refetched = false;
        if (keyId is not null && configuration.SigningKeys.All(k => k.KeyId != keyId))
        {
            // Key rotation: the provider signs with a key published after our last fetch.
            logger.LogInformation("OIDC: the id_token is signed with key '{KeyId}', which the cached key set lacks; fetching the provider's keys again",
                Printable(keyId));
            configuration = await _discovery.RefreshAsync(configuration, cancellationToken).ConfigureAwait(false);
            refetched = true;
        }

        var parameters = new TokenValidationParameters
        {
            ValidIssuer = configuration.Issuer,
            ValidAudience = settings.ClientId,
            IssuerSigningKeys = configuration.SigningKeys,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
                SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            TryAllIssuerSigningKeys = keyId is null,
            ClockSkew = ClockSkew,
            LifetimeValidator = ValidLifetime,
        };
        var result = await _tokens.ValidateTokenAsync(idToken, parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return (null, $"the id_token is invalid: {Describe(result.Exception, keyId, refetched)}");
        }

        var token = (JsonWebToken)result.SecurityToken;
        var nonce = token.TryGetPayloadValue<string>("nonce", out var n) ? n : null;
        if (nonce is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(nonce), Encoding.UTF8.GetBytes(expectedNonce)))
        {
            return (null, "the id_token's nonce does not match this sign-in (a replayed or injected token)");
        }

        var audiences = token.Audiences.ToArray();
        var azp = token.TryGetPayloadValue<string>("azp", out var a) ? a : null;
        if ((audiences.Length > 1 || azp is not null) && azp != settings.ClientId)
        {
            return (null, "the id_token was issued to another client (azp)");
        }

        return (token, null);
    }

    /// <summary>Expiry and not-before by the injected clock. Arithmetic stays on "now", never on the token's times: a token
    /// without <c>nbf</c> reaches here as <see cref="DateTime.MinValue"/>, and <c>nbf − skew</c> would throw.</summary>
    private bool ValidLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (expires is not { } exp || exp == DateTime.MinValue)
        {
            throw new SecurityTokenNoExpirationException("The token has no expiry.");
        }

        if (now - ClockSkew >= exp.ToUniversalTime())
        {
            throw new SecurityTokenExpiredException("The token is expired.");
        }

        if (notBefore is { } nbf && nbf != DateTime.MinValue && now + ClockSkew < nbf.ToUniversalTime())
        {
            throw new SecurityTokenNotYetValidException("The token is not yet valid.");
        }

        return true;
    }

    private AuthResult Map(string subject, OidcClaims claims)
    {
        var groups = claims.Values(settings.RoleClaim);
        var roles = new List<string> { "user" };
        if (groups.Any(g => settings.AdminGroups.Contains(g, StringComparer.Ordinal)))
        {
            roles.Add("admin");
        }

        return new AuthResult(claims.String("preferred_username") ?? subject, ProviderId)
        {
            FullName = claims.String("name"),
            Email = claims.String("email"),
            EmailVerified = claims.Bool("email_verified"),
            Roles = roles,
            ProviderUserId = subject,
        };
    }

    private void EnsureConfigured()
    {
        if (!IsConfigured)
        {
            throw new InvalidOperationException("OIDC is not configured: set " + string.Join(", ", settings.Missing.Concat(settings.Problems)) + ".");
        }
    }

    private void Sweep()
    {
        var now = time.GetUtcNow();
        foreach (var (state, pending) in _pending)
        {
            if (pending.Expires <= now)
            {
                _pending.TryRemove(state, out _);
            }
        }
    }

    /// <summary>Why validation failed, in words an operator can act on; anything unforeseen keeps the library's own message
    /// (IdentityModel hides token contents in its messages).</summary>
    private static string Describe(Exception? ex, string? keyId, bool refetched) => ex switch
    {
        SecurityTokenSignatureKeyNotFoundException => keyId is null
            ? "it names no key id and no published key verifies its signature"
            : $"it is signed with key '{Printable(keyId)}', which is not among the provider's published keys" +
              (refetched ? " (not even after fetching them again)" : ""),
        SecurityTokenInvalidSignatureException => "its signature does not verify with the provider's keys",
        SecurityTokenInvalidIssuerException => "it was issued by another issuer",
        SecurityTokenInvalidAudienceException => "it was issued for another audience",
        SecurityTokenExpiredException => "it is expired",
        SecurityTokenNotYetValidException => "it is not yet valid (check the clocks)",
        SecurityTokenInvalidLifetimeException or SecurityTokenNoExpirationException => "it has no valid lifetime (exp)",
        SecurityTokenInvalidAlgorithmException => "it uses an algorithm that is not accepted",
        null => "unknown reason",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    private static string? StringProperty(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>The OAuth error code of a refusal (RFC 6749 §5.2), for the log; never the body itself.</summary>
    private static async Task<string> OAuthErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            return json.RootElement.ValueKind == JsonValueKind.Object && StringProperty(json.RootElement, "error") is { } error ? $" '{Printable(error)}'" : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static string Printable(string text) => new(text.Where(c => !char.IsControl(c)).Take(200).ToArray());

    private static string RandomUrlSafe(int bytes) => Base64Url(RandomNumberGenerator.GetBytes(bytes));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
