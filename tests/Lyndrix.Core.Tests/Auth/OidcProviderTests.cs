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
        settings ??= Settings(_idp);
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
        Assert.That(_idp.TokenAuthMethods.Single(), Is.EqualTo("client_secret_basic"), "the spec's default when discovery lists no methods");
        Assert.That(token.ContainsKey("client_secret"), Is.False, "the secret (from the secret store) travels in the Basic header only");
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

    private static Dictionary<string, string?> Settings(TestOpenIdProvider idp, params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["issuer"] = idp.Issuer, ["client_id"] = TestOpenIdProvider.ClientId, ["redirect_uri"] = RedirectUri, ["admin_groups"] = "lyndrix-admins",
            // These tests are about correctness; on a loaded build machine a loopback request has taken over 10 s.
            ["timeout"] = "60",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    private async Task<AuthResult?> SignInAsync(OidcAuthProvider provider)
    {
        var outcome = await provider.CompleteDetailedAsync(await AuthorizeAsync(provider), CancellationToken.None);
        Assert.That(outcome.Identity, Is.Not.Null, outcome.Refusal);
        return outcome.Identity;
    }

    [Test]
    public async Task Claims_served_only_at_userinfo_are_read_from_there_with_the_access_token()
    {
        _idp.ServeUserInfo = true;
        _idp.ClaimsInIdToken = false;
        _idp.Tweak = new TestOpenIdProvider.TokenTweak { Groups = ["lyndrix-admins"] };
        var (provider, _) = await SetUpModuleAsync();

        var identity = await SignInAsync(provider);

        Assert.Multiple(() =>
        {
            Assert.That(identity!.Username, Is.EqualTo("carol"));
            Assert.That(identity.FullName, Is.EqualTo("Carol C."));
            Assert.That(identity.Email, Is.EqualTo("carol@example.org"));
            Assert.That(identity.EmailVerified, Is.True);
            Assert.That(identity.Roles, Is.EquivalentTo(new[] { "user", "admin" }));
            Assert.That(_idp.UserInfoAuthorizations.Single(), Does.StartWith("Bearer "));
        });
    }

    [Test]
    public async Task Userinfo_wins_over_the_id_token_claim_by_claim()
    {
        _idp.ServeUserInfo = true;
        _idp.Tweak = new TestOpenIdProvider.TokenTweak { UserInfoEmail = "carol.new@example.org", Groups = ["staff"] };
        var (provider, _) = await SetUpModuleAsync();
        var identity = await SignInAsync(provider);
        Assert.That(identity!.Email, Is.EqualTo("carol.new@example.org"));
        Assert.That(identity.FullName, Is.EqualTo("Carol C."));
    }

    [Test]
    public async Task A_userinfo_response_about_another_subject_is_refused()
    {
        _idp.ServeUserInfo = true;
        _idp.Tweak = new TestOpenIdProvider.TokenTweak { UserInfoSubject = "sub-9999", Groups = ["lyndrix-admins"] };
        var (provider, _) = await SetUpModuleAsync();
        var outcome = await provider.CompleteDetailedAsync(await AuthorizeAsync(provider), CancellationToken.None);
        Assert.That(outcome.Identity, Is.Null);
        Assert.That(outcome.Refusal, Does.Contain("sub 'sub-9999'").And.Contain("'sub-1234'"));
    }

    [Test]
    public async Task The_role_scope_is_asked_for_when_admin_groups_are_set_and_the_provider_offers_it()
    {
        async Task<string?> ScopeAsync(Dictionary<string, string?>? settings = null)
        {
            var (provider, _) = await SetUpModuleAsync(settings: settings);
            var challenge = await provider.BeginAsync(CancellationToken.None);
            return HttpUtility.ParseQueryString(challenge.AuthorizationUrl.Query)["scope"];
        }

        _idp.ScopesSupported = ["openid", "profile", "email", "groups"];
        Assert.That(await ScopeAsync(), Is.EqualTo("openid profile email groups"));
        Assert.That(await ScopeAsync(Settings(_idp, ("admin_groups", null))), Is.EqualTo("openid profile email"), "no admin groups, no need");

        _idp.ScopesSupported = ["openid", "profile", "email"];
        Assert.That(await ScopeAsync(), Is.EqualTo("openid profile email"), "a scope the provider does not offer is not asked for");
        Assert.That(await ScopeAsync(Settings(_idp, ("role_scope", "roles"))), Is.EqualTo("openid profile email roles"), "set explicitly");
    }

    [TestCase(null, null, "client_secret_basic")]
    [TestCase(new[] { "client_secret_post", "client_secret_basic" }, null, "client_secret_basic")]
    [TestCase(new[] { "private_key_jwt", "client_secret_post" }, null, "client_secret_post")]
    [TestCase(new[] { "client_secret_basic", "client_secret_post" }, "client_secret_post", "client_secret_post")]
    public async Task Client_authentication_is_picked_from_discovery_unless_configured(string[]? advertised, string? configured, string expected)
    {
        _idp.AuthMethods = advertised;
        var (provider, _) = await SetUpModuleAsync(settings: Settings(_idp, ("client_auth", configured)));
        await SignInAsync(provider);
        Assert.That(_idp.TokenAuthMethods.Single(), Is.EqualTo(expected));
    }

    [Test]
    public async Task A_secret_with_reserved_characters_survives_basic_authentication()
    {
        // Form-encoding before base64 (RFC 6749 §2.3.1) is what keeps ':' '+' '%' and spaces intact.
        const string secret = "a:b+c%2F d/é=";
        _idp.ExpectedSecret = secret;
        var (provider, _) = await SetUpModuleAsync(storedSecret: secret, settings: Settings(_idp, ("client_auth", "client_secret_basic")));
        await SignInAsync(provider);
        Assert.That(_idp.TokenAuthMethods.Single(), Is.EqualTo("client_secret_basic"));
    }

    [Test]
    public async Task A_provider_that_accepts_no_method_we_support_gets_an_error_that_says_what_to_do()
    {
        _idp.AuthMethods = ["private_key_jwt", "tls_client_auth"];
        var (provider, _) = await SetUpModuleAsync();
        var callback = await AuthorizeAsync(provider);
        var ex = Assert.ThrowsAsync<InvalidOperationException>(() => provider.CompleteDetailedAsync(callback, CancellationToken.None));
        Assert.That(ex!.Message, Does.Contain("private_key_jwt").And.Contain("LYNDRIX_OIDC_CLIENT_AUTH"));
    }

    [TestCase("client_secret_jwt", "must be client_secret_basic, client_secret_post or none")]
    [TestCase("client_secret_basic", "needs a client secret")]
    public async Task A_bad_client_auth_setting_leaves_the_provider_unconfigured_with_a_clear_error(string value, string expected)
    {
        var (provider, _) = await SetUpModuleAsync(storedSecret: null, settings: Settings(_idp, ("client_auth", value)));
        Assert.That(provider.IsConfigured, Is.False);
        Assert.That(_logs.AllText, Does.Contain("LYNDRIX_OIDC_CLIENT_AUTH").And.Contain(expected));
    }

    [Test]
    public async Task A_token_signed_by_a_rotated_key_validates_at_once_even_twice_within_a_minute()
    {
        var (provider, _) = await SetUpModuleAsync();
        await SignInAsync(provider);
        Assert.That(_idp.JwksRequests, Is.EqualTo(1));

        _idp.RotateKey();
        await SignInAsync(provider);
        Assert.That(_idp.JwksRequests, Is.EqualTo(2), "the unknown key id made us fetch the keys again");

        _idp.RotateKey();
        await SignInAsync(provider);
        Assert.That(_idp.JwksRequests, Is.EqualTo(3));
        Assert.That(_logs.AllText, Does.Contain("key 'k3'"));
    }

    [Test]
    public async Task Tokens_with_unknown_key_ids_cannot_make_us_hammer_the_provider()
    {
        var (provider, _) = await SetUpModuleAsync();
        await SignInAsync(provider);
        var callbacks = new List<SsoCallback>();
        for (var i = 0; i < 12; i++)
        {
            callbacks.Add(await AuthorizeAsync(provider));
        }

        using var forger = RSA.Create(2048);
        _idp.Tweak = new TestOpenIdProvider.TokenTweak { SigningKey = forger, KeyId = "made-up" };
        var before = _idp.JwksRequests;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outcomes = await Task.WhenAll(callbacks.Select(c => provider.CompleteDetailedAsync(c, CancellationToken.None)));
        clock.Stop();

        var allowed = (int)(clock.Elapsed / OidcDiscovery.KeyRefreshInterval) + 1;
        Assert.That(_idp.JwksRequests - before, Is.InRange(1, allowed), $"12 tokens with unknown key ids in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.That(outcomes.Select(o => o.Refusal), Has.All.Contain("signed with key 'made-up', which is not among the provider's published keys"));
    }

    [Test]
    public async Task A_token_without_nbf_from_an_unknown_key_is_refused_naming_the_key()
    {
        using var forger = RSA.Create(2048);
        var refusal = await RefusalAsync(new TestOpenIdProvider.TokenTweak { SigningKey = forger, OmitNotBefore = true, KeyId = "rogue" });
        Assert.That(refusal, Does.Contain("signed with key 'rogue', which is not among the provider's published keys"));
    }

    [Test]
    public async Task Password_logins_never_succeed_through_the_sso_provider()
    {
        var (provider, _) = await SetUpModuleAsync();
        Assert.That(await provider.AuthenticateAsync("carol", "anything", CancellationToken.None), Is.Null);
    }
}
