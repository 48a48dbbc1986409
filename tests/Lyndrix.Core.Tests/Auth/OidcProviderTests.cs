using System.Net;
using System.Security.Cryptography;
using System.Web;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Plugins.Oidc;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Auth;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace Lyndrix.Core.Tests.Auth;

/// <summary>The OIDC module against an in-process OpenID provider that signs real RS256 tokens.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class OidcProviderTests
{
    private const string RedirectUri = "http://127.0.0.1:9/auth/callback/oidc";
    private TestOpenIdProvider _idp = null!;
    private readonly CapturingLoggerProvider _logs = new();
    private readonly HttpClient _browser = new(new HttpClientHandler { AllowAutoRedirect = false });

    [SetUp]
    public async Task SetUp() => _idp = await TestOpenIdProvider.StartAsync();

    [TearDown]
    public async Task TearDown()
    {
        _browser.Dispose();
        await _idp.DisposeAsync();
    }

    private async Task<(OidcAuthProvider Provider, Mock<IModuleContext> Context)> SetUpModuleAsync(TimeProvider? time = null,
        Dictionary<string, string?>? settings = null, string? storedSecret = TestOpenIdProvider.ClientSecret)
    {
        settings ??= new Dictionary<string, string?>
        {
            ["issuer"] = _idp.Issuer, ["client_id"] = TestOpenIdProvider.ClientId, ["redirect_uri"] = RedirectUri, ["admin_groups"] = "lyndrix-admins",
        };
        IAuthProvider? registered = null;
        var context = new Mock<IModuleContext>();
        context.SetupGet(c => c.Settings).Returns(settings);
        context.SetupGet(c => c.Logger).Returns(_logs.CreateLogger("lyndrix.core.oidc"));
        context.SetupGet(c => c.Manifest).Returns(new ModuleManifest { Id = "lyndrix.core.oidc", Name = "OIDC", Version = "1.0.0", Type = ModuleType.Core });
        context.Setup(c => c.GetSecretAsync("client_secret", It.IsAny<CancellationToken>())).ReturnsAsync(storedSecret);
        context.Setup(c => c.RegisterAuthProvider(It.IsAny<IAuthProvider>())).Callback<IAuthProvider>(p => registered = p);
        var module = new OidcModule(time ?? TimeProvider.System, null);
        await module.SetupAsync(context.Object, CancellationToken.None);
        Assert.That(registered, Is.SameAs(module.Provider));
        return (module.Provider!, context);
    }

    /// <summary>Starts a sign-in, lets the IdP "log the user in", and returns the callback the browser would bring back.</summary>
    private async Task<SsoCallback> AuthorizeAsync(OidcAuthProvider provider)
    {
        var challenge = await provider.BeginAsync(CancellationToken.None);
        var response = await _browser.GetAsync(challenge.AuthorizationUrl);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await response.Content.ReadAsStringAsync());
        var query = HttpUtility.ParseQueryString(response.Headers.Location!.Query);
        Assert.That(query["state"], Is.EqualTo(challenge.State));
        return new SsoCallback(query["state"]!, query["code"], null, null);
    }

    private async Task<string?> RefusalAsync(TestOpenIdProvider.TokenTweak tweak)
    {
        var (provider, _) = await SetUpModuleAsync();
        var callback = await AuthorizeAsync(provider);
        _idp.Tweak = tweak;
        var outcome = await provider.CompleteDetailedAsync(callback, CancellationToken.None);
        Assert.That(outcome.Identity, Is.Null, "the sign-in must be refused");
        return outcome.Refusal;
    }

    [Test]
    public async Task A_valid_sign_in_uses_PKCE_state_and_nonce_and_maps_the_claims()
    {
        var (provider, _) = await SetUpModuleAsync();
        _idp.Tweak = new TestOpenIdProvider.TokenTweak { Groups = ["staff", "lyndrix-admins"] };
        var callback = await AuthorizeAsync(provider);

        var identity = await provider.CompleteAsync(callback, CancellationToken.None);

        Assert.That(identity, Is.Not.Null, _logs.AllText);
        Assert.Multiple(() =>
        {
            Assert.That(identity!.Username, Is.EqualTo("carol"));
            Assert.That(identity.ProviderUserId, Is.EqualTo("sub-1234"));
            Assert.That(identity.Email, Is.EqualTo("carol@example.org"));
            Assert.That(identity.EmailVerified, Is.True);
            Assert.That(identity.FullName, Is.EqualTo("Carol C."));
            Assert.That(identity.Roles, Is.EquivalentTo(new[] { "user", "admin" }));
        });
        var authorize = _idp.AuthorizeRequests.Single();
        var token = _idp.TokenRequests.Single();
        Assert.That(authorize["code_challenge_method"], Is.EqualTo("S256"));
        Assert.That(authorize["scope"], Is.EqualTo("openid profile email"));
        Assert.That(token["code_verifier"], Has.Length.GreaterThanOrEqualTo(43));
        Assert.That(token["client_secret"], Is.EqualTo(TestOpenIdProvider.ClientSecret), "the secret came from the secret store");
    }

    [Test]
    public async Task Users_outside_the_admin_groups_are_not_admins()
    {
        var (provider, _) = await SetUpModuleAsync();
        _idp.Tweak = new TestOpenIdProvider.TokenTweak { Groups = ["staff"], PreferredUsername = null };
        var identity = await provider.CompleteAsync(await AuthorizeAsync(provider), CancellationToken.None);
        Assert.That(identity!.Roles, Is.EqualTo(new[] { "user" }));
        Assert.That(identity.Username, Is.EqualTo("sub-1234"), "sub when there is no preferred_username");
    }

    [Test]
    public async Task A_token_signed_with_another_key_is_refused()
    {
        using var forger = RSA.Create(2048);
        Assert.That(await RefusalAsync(new TestOpenIdProvider.TokenTweak { SigningKey = forger }), Does.Contain("signature"));
    }

    [Test]
    public async Task An_unsigned_token_is_refused()
    {
        Assert.That(await RefusalAsync(new TestOpenIdProvider.TokenTweak { Unsigned = true }), Does.Contain("id_token is invalid"));
    }

    [Test]
    public async Task An_expired_token_is_refused()
    {
        Assert.That(await RefusalAsync(new TestOpenIdProvider.TokenTweak { IssuedAgo = TimeSpan.FromMinutes(20), Lifetime = TimeSpan.FromMinutes(5) }),
            Does.Contain("expired"));
    }

    [Test]
    public async Task A_token_for_another_audience_is_refused()
    {
        Assert.That(await RefusalAsync(new TestOpenIdProvider.TokenTweak { Audience = "some-other-app" }), Does.Contain("audience"));
    }

    [Test]
    public async Task A_token_from_another_issuer_is_refused()
    {
        Assert.That(await RefusalAsync(new TestOpenIdProvider.TokenTweak { Issuer = "https://evil.example.org" }), Does.Contain("issuer"));
    }

    [Test]
    public async Task A_token_with_a_wrong_or_missing_nonce_is_refused()
    {
        Assert.That(await RefusalAsync(new TestOpenIdProvider.TokenTweak { Nonce = "replayed-nonce" }), Does.Contain("nonce"));
        Assert.That(await RefusalAsync(new TestOpenIdProvider.TokenTweak { OmitNonce = true }), Does.Contain("nonce"));
    }

    [Test]
    public async Task A_token_issued_to_another_client_is_refused()
    {
        Assert.That(await RefusalAsync(new TestOpenIdProvider.TokenTweak { Azp = "other-client" }), Does.Contain("azp"));
    }

    [Test]
    public async Task A_state_is_accepted_once_and_unknown_states_are_refused()
    {
        var (provider, _) = await SetUpModuleAsync();
        var callback = await AuthorizeAsync(provider);
        Assert.That((await provider.CompleteDetailedAsync(callback, CancellationToken.None)).Identity, Is.Not.Null);
        Assert.That((await provider.CompleteDetailedAsync(callback, CancellationToken.None)).Refusal, Does.Contain("already used"));
        Assert.That((await provider.CompleteDetailedAsync(new SsoCallback("made-up", "code", null, null), CancellationToken.None)).Refusal,
            Does.Contain("unknown"));
    }

    [Test]
    public async Task Pending_sign_ins_expire_and_tokens_expire_by_the_time_provider()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (provider, _) = await SetUpModuleAsync(time);
        var callback = await AuthorizeAsync(provider);
        time.Advance(TimeSpan.FromMinutes(6));
        Assert.That((await provider.CompleteDetailedAsync(callback, CancellationToken.None)).Refusal, Does.Contain("expired"));

        callback = await AuthorizeAsync(provider);
        time.Advance(TimeSpan.FromMinutes(4));
        _idp.Tweak = new TestOpenIdProvider.TokenTweak { Lifetime = TimeSpan.FromMinutes(2) };
        Assert.That((await provider.CompleteDetailedAsync(callback, CancellationToken.None)).Refusal, Does.Contain("expired"),
            "the token's exp is judged by the injected clock");
    }

    [Test]
    public async Task An_error_from_the_identity_provider_is_refused()
    {
        var (provider, _) = await SetUpModuleAsync();
        var challenge = await provider.BeginAsync(CancellationToken.None);
        var outcome = await provider.CompleteDetailedAsync(new SsoCallback(challenge.State, null, "access_denied", "User said no"), CancellationToken.None);
        Assert.That(outcome.Refusal, Does.Contain("access_denied"));
    }

    [Test]
    public async Task A_wrong_client_secret_is_refused_at_the_token_endpoint_and_never_logged()
    {
        var (provider, _) = await SetUpModuleAsync(storedSecret: "Wrong-Client-Secret-1");
        var identity = await provider.CompleteAsync(await AuthorizeAsync(provider), CancellationToken.None);
        Assert.That(identity, Is.Null);
        Assert.That(_logs.AllText, Does.Contain("token endpoint answered 401"));
        Assert.That(_logs.AllText, Does.Not.Contain("Wrong-Client-Secret-1"));
    }

    [Test]
    public async Task A_discovery_document_for_another_issuer_is_refused_with_help()
    {
        _idp.DiscoveryIssuerOverride = "https://elsewhere.example.org";
        var (provider, _) = await SetUpModuleAsync();
        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => provider.BeginAsync(CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("LYNDRIX_OIDC_ISSUER"));
    }

    [Test]
    public async Task Without_an_issuer_the_provider_is_not_configured_and_plain_http_is_refused_off_loopback()
    {
        var (unconfigured, _) = await SetUpModuleAsync(settings: new Dictionary<string, string?> { ["client_id"] = "x" });
        Assert.That(unconfigured.IsConfigured, Is.False);

        var (insecure, _) = await SetUpModuleAsync(settings: new Dictionary<string, string?>
        {
            ["issuer"] = "http://idp.example.org", ["client_id"] = "x", ["redirect_uri"] = RedirectUri,
        });
        Assert.That(insecure.IsConfigured, Is.False);
        Assert.That(_logs.AllText, Does.Contain("LYNDRIX_OIDC_ISSUER must be an https URL"));
    }

    [Test]
    public async Task Password_logins_never_succeed_through_the_sso_provider()
    {
        var (provider, _) = await SetUpModuleAsync();
        Assert.That(await provider.AuthenticateAsync("carol", "anything", CancellationToken.None), Is.Null);
    }
}
