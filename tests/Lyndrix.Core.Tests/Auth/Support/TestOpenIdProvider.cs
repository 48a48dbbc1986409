using System.Collections.Concurrent;
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
/// endpoint that redirects back with a code, and a token endpoint that checks the client secret, the redirect URI and the
/// PKCE verifier (S256). <see cref="Tweak"/> lets a test make it issue forged, expired, wrong-audience, wrong-issuer or
/// wrong-nonce tokens.
/// </summary>
internal sealed class TestOpenIdProvider : IAsyncDisposable
{
    public const string ClientId = "lyndrix-test";
    public const string ClientSecret = "idp-client-Secret-9";

    private readonly WebApplication _app;
    private readonly RSA _key = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, (string Nonce, string Challenge, string RedirectUri)> _codes = new();

    private TestOpenIdProvider(WebApplication app)
    {
        _app = app;
    }

    public string Issuer { get; private set; } = "";

    /// <summary>Claims and signing of the next tokens.</summary>
    public TokenTweak Tweak { get; set; } = new();

    /// <summary>A different issuer in the discovery document than the one the client asked for.</summary>
    public string? DiscoveryIssuerOverride { get; set; }

    public ConcurrentQueue<IReadOnlyDictionary<string, string>> TokenRequests { get; } = new();

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
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, string>
        {
            ["issuer"] = DiscoveryIssuerOverride ?? Issuer,
            ["authorization_endpoint"] = Issuer + "/authorize",
            ["token_endpoint"] = Issuer + "/token",
            ["jwks_uri"] = Issuer + "/jwks",
        }));

        app.MapGet("/jwks", () =>
        {
            var p = _key.ExportParameters(false);
            return Results.Json(new { keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = "k1", n = B64(p.Modulus!), e = B64(p.Exponent!) } } });
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
            if (form.GetValueOrDefault("client_secret") != ClientSecret || form.GetValueOrDefault("client_id") != ClientId)
            {
                return Results.Json(new { error = "invalid_client" }, statusCode: 401);
            }

            if (form.GetValueOrDefault("grant_type") != "authorization_code" || !_codes.TryRemove(form.GetValueOrDefault("code") ?? "", out var issued) ||
                issued.RedirectUri != form.GetValueOrDefault("redirect_uri") ||
                B64(SHA256.HashData(Encoding.ASCII.GetBytes(form.GetValueOrDefault("code_verifier") ?? ""))) != issued.Challenge)
            {
                return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
            }

            return Results.Json(new { access_token = "opaque", token_type = "Bearer", id_token = IdToken(issued.Nonce) });
        });
    }

    private string IdToken(string nonce)
    {
        var t = Tweak;
        var now = DateTime.UtcNow - t.IssuedAgo;
        var claims = new Dictionary<string, object> { ["sub"] = t.Subject, ["email"] = "carol@example.org", ["email_verified"] = true, ["name"] = "Carol C." };
        if (t.PreferredUsername is not null)
        {
            claims["preferred_username"] = t.PreferredUsername;
        }

        if (!t.OmitNonce)
        {
            claims["nonce"] = t.Nonce ?? nonce;
        }

        if (t.Groups.Length > 0)
        {
            claims["groups"] = t.Groups;
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
            NotBefore = now,
            Expires = now + t.Lifetime,
        };
        if (!t.Unsigned)
        {
            descriptor.SigningCredentials = new SigningCredentials(new RsaSecurityKey(t.SigningKey ?? _key) { KeyId = "k1" }, SecurityAlgorithms.RsaSha256);
        }

        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
