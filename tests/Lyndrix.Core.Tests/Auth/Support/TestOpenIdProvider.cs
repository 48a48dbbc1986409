using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lyndrix.Core.Tests.Auth.Support;

/// <summary>
/// An in-process OpenID provider on loopback (Kestrel) that signs real RS256 ID tokens: discovery, JWKS, an authorize
/// endpoint that redirects back with a code, a token endpoint that checks the client's authentication (client_secret_basic
/// with RFC 6749 §2.3.1 form-decoding, or client_secret_post; never both), the redirect URI and the PKCE verifier (S256), and
/// optionally a userinfo endpoint. <see cref="Tweak"/> lets a test make it issue forged, expired, wrong-audience,
/// wrong-issuer or wrong-nonce tokens; <see cref="RotateKey"/> replaces its signing key.
/// </summary>
internal sealed class TestOpenIdProvider : IAsyncDisposable
{
    public const string ClientId = "lyndrix-test";
    public const string ClientSecret = "idp-client-Secret-9";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (string Nonce, string Challenge, string RedirectUri)> _codes = new();
    private readonly ConcurrentDictionary<string, TokenTweak> _accessTokens = new();
    private RSA _key = RSA.Create(2048);
    private int _keyNumber = 1;
    private int _jwksRequests;

    private TestOpenIdProvider(WebApplication app)
    {
        _app = app;
    }

    public string Issuer { get; private set; } = "";

    /// <summary>Claims and signing of the next tokens.</summary>
    public TokenTweak Tweak { get; set; } = new();

    /// <summary>A different issuer in the discovery document than the one the client asked for.</summary>
    public string? DiscoveryIssuerOverride { get; set; }

    /// <summary>The client secret the token endpoint expects.</summary>
    public string ExpectedSecret { get; set; } = ClientSecret;

    /// <summary><c>token_endpoint_auth_methods_supported</c> in discovery; null leaves it out.</summary>
    public string[]? AuthMethods { get; set; }

    /// <summary><c>scopes_supported</c> in discovery; null leaves it out.</summary>
    public string[]? ScopesSupported { get; set; }

    /// <summary>Whether discovery lists a userinfo endpoint, which serves the profile claims.</summary>
    public bool ServeUserInfo { get; set; }

    /// <summary>Whether the ID token carries profile, e-mail and group claims (besides sub and nonce).</summary>
    public bool ClaimsInIdToken { get; set; } = true;

    public string KeyId => $"k{_keyNumber}";

    public int JwksRequests => Volatile.Read(ref _jwksRequests);

    public ConcurrentQueue<IReadOnlyDictionary<string, string>> TokenRequests { get; } = new();

    /// <summary>How each token request authenticated: client_secret_basic, client_secret_post or none.</summary>
    public ConcurrentQueue<string> TokenAuthMethods { get; } = new();

    public ConcurrentQueue<string> UserInfoAuthorizations { get; } = new();

    public ConcurrentQueue<IReadOnlyDictionary<string, string>> AuthorizeRequests { get; } = new();

    internal sealed record TokenTweak
    {
        public string Subject { get; init; } = "sub-1234";
        public string? PreferredUsername { get; init; } = "carol";
        public string[] Groups { get; init; } = [];
        public string? Issuer { get; init; }
        public string? Audience { get; init; }
        public string? Nonce { get; init; }
        public bool OmitNonce { get; init; }
        public RSA? SigningKey { get; init; }
        public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(5);
        public TimeSpan IssuedAgo { get; init; } = TimeSpan.Zero;
        public bool Unsigned { get; init; }
        public string? Azp { get; init; }
        public bool OmitNotBefore { get; init; }
        public string? KeyId { get; init; }
        public string? Email { get; init; } = "carol@example.org";
        public string? UserInfoSubject { get; init; }
        public string? UserInfoEmail { get; init; }
    }

    /// <summary>Signs from now on with a new key under a new key id; the published set holds only the new key.</summary>
    public void RotateKey()
    {
        _key = RSA.Create(2048);
        Interlocked.Increment(ref _keyNumber);
    }

    public static async Task<TestOpenIdProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var idp = new TestOpenIdProvider(app);
        idp.Map(app);
        await app.StartAsync();
        idp.Issuer = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return idp;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _key.Dispose();
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/.well-known/openid-configuration", () =>
        {
            var document = new Dictionary<string, object>
            {
                ["issuer"] = DiscoveryIssuerOverride ?? Issuer,
                ["authorization_endpoint"] = Issuer + "/authorize",
                ["token_endpoint"] = Issuer + "/token",
                ["jwks_uri"] = Issuer + "/jwks",
            };
            if (AuthMethods is not null)
            {
                document["token_endpoint_auth_methods_supported"] = AuthMethods;
            }

            if (ScopesSupported is not null)
            {
                document["scopes_supported"] = ScopesSupported;
            }

            if (ServeUserInfo)
            {
                document["userinfo_endpoint"] = Issuer + "/userinfo";
            }

            return Results.Json(document);
        });

        app.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref _jwksRequests);
            var p = _key.ExportParameters(false);
            return Results.Json(new { keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = KeyId, n = B64(p.Modulus!), e = B64(p.Exponent!) } } });
        });

        app.MapGet("/userinfo", (HttpContext http) =>
        {
            var authorization = http.Request.Headers.Authorization.ToString();
            UserInfoAuthorizations.Enqueue(authorization);
            if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal) || !_accessTokens.TryGetValue(authorization["Bearer ".Length..], out var tweak))
            {
                return Results.Json(new { error = "invalid_token" }, statusCode: 401);
            }

            var claims = ProfileClaims(tweak);
            claims["sub"] = tweak.UserInfoSubject ?? tweak.Subject;
            if (tweak.UserInfoEmail is not null)
            {
                claims["email"] = tweak.UserInfoEmail;
            }

            return Results.Json(claims);
        });

        app.MapGet("/authorize", (HttpContext http) =>
        {
            var q = http.Request.Query.ToDictionary(p => p.Key, p => p.Value.ToString());
            AuthorizeRequests.Enqueue(q);
            if (q.GetValueOrDefault("client_id") != ClientId || q.GetValueOrDefault("code_challenge_method") != "S256" ||
                q.GetValueOrDefault("response_type") != "code" || string.IsNullOrEmpty(q.GetValueOrDefault("nonce")))
            {
                return Results.BadRequest(new { error = "invalid_request" });
            }

            var code = B64(RandomNumberGenerator.GetBytes(16));
            _codes[code] = (q["nonce"], q["code_challenge"], q["redirect_uri"]);
            return Results.Redirect($"{q["redirect_uri"]}?code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(q["state"])}");
        });

        app.MapPost("/token", async (HttpContext http) =>
        {
            var form = (await http.Request.ReadFormAsync()).ToDictionary(p => p.Key, p => p.Value.ToString());
            TokenRequests.Enqueue(form);
            var authorization = http.Request.Headers.Authorization.ToString();
            string? clientId, secret, method;
            if (authorization.StartsWith("Basic ", StringComparison.Ordinal))
            {
                // RFC 6749 §2.3.1: both parts are form-urlencoded.
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..])).Split(':', 2);
                (clientId, secret, method) = (WebUtility.UrlDecode(pair[0]), WebUtility.UrlDecode(pair.ElementAtOrDefault(1)), "client_secret_basic");
                if (form.ContainsKey("client_secret") || (form.TryGetValue("client_id", out var bodyId) && bodyId != clientId))
                {
                    return Results.Json(new { error = "invalid_request", error_description = "more than one client authentication" }, statusCode: 400);
                }
            }
            else
            {
                (clientId, secret) = (form.GetValueOrDefault("client_id"), form.GetValueOrDefault("client_secret"));
                method = secret is null ? "none" : "client_secret_post";
            }

            TokenAuthMethods.Enqueue(method);
            if (secret != ExpectedSecret || clientId != ClientId || (AuthMethods is not null && !AuthMethods.Contains(method)))
            {
                return Results.Json(new { error = "invalid_client" }, statusCode: 401);
            }

            if (form.GetValueOrDefault("grant_type") != "authorization_code" || !_codes.TryRemove(form.GetValueOrDefault("code") ?? "", out var issued) ||
                issued.RedirectUri != form.GetValueOrDefault("redirect_uri") ||
                B64(SHA256.HashData(Encoding.ASCII.GetBytes(form.GetValueOrDefault("code_verifier") ?? ""))) != issued.Challenge)
            {
                return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
            }

            var accessToken = B64(RandomNumberGenerator.GetBytes(16));
            _accessTokens[accessToken] = Tweak;
            return Results.Json(new { access_token = accessToken, token_type = "Bearer", id_token = IdToken(issued.Nonce) });
        });
    }

    private string IdToken(string nonce)
    {
        var t = Tweak;
        var now = DateTime.UtcNow - t.IssuedAgo;
        var claims = ClaimsInIdToken ? ProfileClaims(t) : [];
        claims["sub"] = t.Subject;
        if (!t.OmitNonce)
        {
            claims["nonce"] = t.Nonce ?? nonce;
        }

        if (t.Azp is not null)
        {
            claims["azp"] = t.Azp;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = t.Issuer ?? Issuer,
            Audience = t.Audience ?? ClientId,
            Claims = claims,
            IssuedAt = now,
            NotBefore = t.OmitNotBefore ? null : now,
            Expires = now + t.Lifetime,
        };
        if (!t.Unsigned)
        {
            descriptor.SigningCredentials = new SigningCredentials(new RsaSecurityKey(t.SigningKey ?? _key) { KeyId = t.KeyId ?? KeyId }, SecurityAlgorithms.RsaSha256);
        }

        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    private static Dictionary<string, object> ProfileClaims(TokenTweak t)
    {
        var claims = new Dictionary<string, object> { ["email_verified"] = true, ["name"] = "Carol C." };
        if (t.Email is not null)
        {
            claims["email"] = t.Email;
        }

        if (t.PreferredUsername is not null)
        {
            claims["preferred_username"] = t.PreferredUsername;
        }

        if (t.Groups.Length > 0)
        {
            claims["groups"] = t.Groups;
        }

        return claims;
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
