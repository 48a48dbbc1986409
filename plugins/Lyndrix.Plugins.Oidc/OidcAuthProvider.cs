using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lyndrix.Sdk.Auth;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lyndrix.Plugins.Oidc;

/// <summary>
/// The <c>oidc</c> provider: authorization code flow with PKCE (S256), state and nonce. Each sign-in's verifier and nonce
/// are kept under its state for five minutes and used once. The ID token from the token endpoint is validated completely:
/// signature against the provider's published keys, issuer, audience (and <c>azp</c>), expiry and not-before (one minute of
/// clock skew), and the nonce — the original validated none of these.
/// </summary>
internal sealed class OidcAuthProvider(OidcSettings settings, HttpClient http, ILogger logger, TimeProvider time) : ISsoAuthProvider
{
    public static readonly TimeSpan PendingLifetime = TimeSpan.FromMinutes(5);
    private const int MaxPending = 10_000;
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    private readonly OidcMetadata _metadata = new(http, settings, time);
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly JsonWebTokenHandler _tokens = new();

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
        var document = await _metadata.GetDocumentAsync(cancellationToken).ConfigureAwait(false);
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
            ["scope"] = settings.Scopes,
            ["state"] = state,
            ["nonce"] = nonce,
            ["code_challenge"] = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))),
            ["code_challenge_method"] = "S256",
        };
        var separator = document.AuthorizationEndpoint.Query.Length > 0 ? "&" : "?";
        var url = document.AuthorizationEndpoint.AbsoluteUri + separator +
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

        var document = await _metadata.GetDocumentAsync(cancellationToken).ConfigureAwait(false);
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = callback.Code,
            ["redirect_uri"] = settings.RedirectUri!.AbsoluteUri,
            ["client_id"] = settings.ClientId!,
            ["code_verifier"] = pending.Verifier,
        };
        if (settings.ClientSecret is not null)
        {
            form["client_secret"] = settings.ClientSecret;
        }

        string? idToken;
        using (var response = await http.PostAsync(document.TokenEndpoint, new FormUrlEncodedContent(form), cancellationToken).ConfigureAwait(false))
        {
            if (!response.IsSuccessStatusCode)
            {
                return OidcLoginOutcome.Refused($"the token endpoint answered {(int)response.StatusCode} (wrong client secret, or a code used twice?)");
            }

            try
            {
                using var json = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
                idToken = json.RootElement.TryGetProperty("id_token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            }
            catch (JsonException)
            {
                return OidcLoginOutcome.Refused("the token endpoint answered something that is not JSON");
            }
        }

        if (string.IsNullOrEmpty(idToken))
        {
            return OidcLoginOutcome.Refused("the token endpoint returned no id_token (is 'openid' among the scopes?)");
        }

        return await ValidateAsync(idToken, pending.Nonce, document.Issuer, cancellationToken).ConfigureAwait(false);
    }

    private async Task<OidcLoginOutcome> ValidateAsync(string idToken, string expectedNonce, string issuer, CancellationToken cancellationToken)
    {
        string? keyId;
        try
        {
            keyId = _tokens.ReadJsonWebToken(idToken).Kid;
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenException)
        {
            return OidcLoginOutcome.Refused("the id_token is not a JWT");
        }

        var parameters = new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = settings.ClientId,
            IssuerSigningKeys = await _metadata.GetKeysAsync(keyId, cancellationToken).ConfigureAwait(false),
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
            return OidcLoginOutcome.Refused($"the id_token is invalid: {Describe(result.Exception)}");
        }

        var token = (JsonWebToken)result.SecurityToken;
        var nonce = token.TryGetPayloadValue<string>("nonce", out var n) ? n : null;
        if (nonce is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(nonce), Encoding.UTF8.GetBytes(expectedNonce)))
        {
            return OidcLoginOutcome.Refused("the id_token's nonce does not match this sign-in (a replayed or injected token)");
        }

        var audiences = token.Audiences.ToArray();
        var azp = token.TryGetPayloadValue<string>("azp", out var a) ? a : null;
        if ((audiences.Length > 1 || azp is not null) && azp != settings.ClientId)
        {
            return OidcLoginOutcome.Refused("the id_token was issued to another client (azp)");
        }

        return new OidcLoginOutcome(Map(token), null);
    }

    private bool ValidLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return expires is { } exp && now < exp.ToUniversalTime() + ClockSkew && (notBefore is not { } nbf || now >= nbf.ToUniversalTime() - ClockSkew);
    }

    private AuthResult Map(JsonWebToken token)
    {
        string? Claim(string name) => token.TryGetPayloadValue<string>(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v : null;

        var subject = Claim("sub") ?? throw new SecurityTokenException("The id_token has no 'sub'.");
        var groups = token.Claims.Where(c => c.Type == settings.RoleClaim).Select(c => c.Value).ToArray();
        var roles = new List<string> { "user" };
        if (groups.Any(g => settings.AdminGroups.Contains(g, StringComparer.Ordinal)))
        {
            roles.Add("admin");
        }

        var emailVerified = token.TryGetPayloadValue<bool>("email_verified", out var verified) && verified;
        return new AuthResult(Claim("preferred_username") ?? subject, ProviderId)
        {
            FullName = Claim("name"),
            Email = Claim("email"),
            EmailVerified = emailVerified,
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

    private static string Describe(Exception? ex) => ex switch
    {
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "its signature does not verify with the provider's keys",
        SecurityTokenInvalidIssuerException => "it was issued by another issuer",
        SecurityTokenInvalidAudienceException => "it was issued for another audience",
        SecurityTokenExpiredException or SecurityTokenInvalidLifetimeException or SecurityTokenNotYetValidException => "it is expired or not yet valid",
        SecurityTokenInvalidAlgorithmException => "it uses an algorithm that is not accepted",
        null => "unknown reason",
        _ => ex.GetType().Name,
    };

    private static string Printable(string text) => new(text.Where(c => !char.IsControl(c)).Take(200).ToArray());

    private static string RandomUrlSafe(int bytes) => Base64Url(RandomNumberGenerator.GetBytes(bytes));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
