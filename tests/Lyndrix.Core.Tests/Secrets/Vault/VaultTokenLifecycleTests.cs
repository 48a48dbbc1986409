using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Vault;
using Lyndrix.Core.Tests.Support;
using Lyndrix.VaultDouble;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Lyndrix.Core.Tests.Secrets.Vault;

/// <summary>Token lifecycle (reference §7): AppRole login, renewal at 2/3 of the TTL, re-login when renewal fails or is
/// capped, re-login once when Vault calls the token invalid. Vault and client share one fake clock.</summary>
public sealed class VaultTokenLifecycleTests
{
    private const string Policy = "lyndrix-host";

    private FakeTimeProvider _time = null!;
    private VaultDoubleServer _vault = null!;
    private CapturingLoggerProvider _logs = null!;
    private VaultSecretBackend? _backend;

    [SetUp]
    public async Task SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2025, 5, 1, 12, 0, 0, TimeSpan.Zero));
        _vault = await VaultDoubleServer.StartAsync(new VaultDoubleOptions { TimeProvider = _time });
        _vault.InitializeAndUnseal();
        _vault.EnableKv("lyndrix");
        _vault.PutPolicy(Policy, VaultTestKit.HostPolicy);
        _logs = new CapturingLoggerProvider();
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_backend is not null)
        {
            await _backend.DisposeAsync();
        }

        await _vault.DisposeAsync();
    }

    private async Task<VaultSecretBackend> OpenWithAppRoleAsync(TimeSpan ttl, TimeSpan maxTtl, int secretIdUses = 0)
    {
        var (roleId, secretId) = _vault.CreateAppRole("lyndrix", [Policy], ttl, maxTtl, secretIdUses);
        _backend = new VaultSecretBackend(VaultTestKit.Settings(_vault.BaseAddress, roleId: roleId, secretId: secretId), _time,
            _logs.CreateLogger<VaultSecretBackend>());
        await _backend.OpenAsync(null, CancellationToken.None);
        _vault.Requests.Clear();
        return _backend;
    }

    private async Task<VaultSecretBackend> OpenWithTokenAsync(string token)
    {
        _backend = new VaultSecretBackend(VaultTestKit.Settings(_vault.BaseAddress, token: token), _time, _logs.CreateLogger<VaultSecretBackend>());
        await _backend.OpenAsync(null, CancellationToken.None);
        _vault.Requests.Clear();
        return _backend;
    }

    private string[] Paths() => _vault.Requests.All.Select(r => $"{r.Method} {r.Path[4..]} {r.StatusCode}").ToArray();

    [Test]
    public async Task Open_logs_in_with_approle_without_a_token_and_sends_the_secret_id_only_in_the_login_body()
    {
        var (roleId, secretId) = _vault.CreateAppRole("lyndrix", [Policy], TimeSpan.FromMinutes(30), TimeSpan.FromHours(2));
        _backend = new VaultSecretBackend(VaultTestKit.Settings(_vault.BaseAddress, roleId: roleId, secretId: secretId), _time,
            _logs.CreateLogger<VaultSecretBackend>());
        await _backend.OpenAsync(null, CancellationToken.None);

        var login = _vault.Requests.All[0];
        Assert.That((login.Method, login.Path, login.TokenFingerprint), Is.EqualTo(("POST", "/v1/auth/approle/login", (string?)null)));
        Assert.That(login.Body, Is.EqualTo($$"""{"role_id":"{{roleId}}","secret_id":"[redacted]"}"""));
        Assert.That(_vault.Requests.All.Skip(1).Select(r => r.TokenFingerprint), Has.All.Not.Null);
        Assert.That(_backend.Client.Session.Origin, Is.EqualTo(VaultTokenOrigin.AppRole));
        Assert.That(_vault.CountTokensWithPolicy(Policy), Is.EqualTo(1));
        Assert.That(_logs.AllText, Does.Not.Contain(secretId));
    }

    [Test]
    public async Task The_token_is_renewed_at_two_thirds_of_its_ttl_before_the_next_call()
    {
        var backend = await OpenWithAppRoleAsync(TimeSpan.FromMinutes(30), TimeSpan.FromHours(2));
        _time.Advance(TimeSpan.FromMinutes(19));
        await backend.Store.ReadAsync("core/x", CancellationToken.None);
        Assert.That(Paths(), Is.EqualTo(new[] { "GET lyndrix/data/core/x 404" }));

        _vault.Requests.Clear();
        _time.Advance(TimeSpan.FromMinutes(2));
        await Eventually.True(() => _vault.Requests.Count > 0, "renewal by timer or call");
        await backend.Store.ReadAsync("core/x", CancellationToken.None);
        Assert.That(Paths(), Is.EqualTo(new[] { "POST auth/token/renew-self 200", "GET lyndrix/data/core/x 404" }));
        Assert.That(backend.Client.Session.RenewAt, Is.EqualTo(_time.GetUtcNow() + TimeSpan.FromMinutes(20)));
        Assert.That(_vault.CountTokensWithPolicy(Policy), Is.EqualTo(1), "renewed, not replaced");
    }

    [Test]
    public async Task An_idle_host_renews_its_token_by_timer()
    {
        await OpenWithAppRoleAsync(TimeSpan.FromMinutes(30), TimeSpan.FromHours(2));
        _time.Advance(TimeSpan.FromMinutes(21));
        await Eventually.True(() => _vault.Requests.All.Any(r => r.Path == "/v1/auth/token/renew-self" && r.StatusCode == 200), "background renewal");
    }

    [Test]
    public async Task A_renewal_capped_by_the_max_ttl_leads_to_a_fresh_login()
    {
        var backend = await OpenWithAppRoleAsync(TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(40));
        _time.Advance(TimeSpan.FromMinutes(21));
        await Eventually.True(() => _vault.Requests.All.Any(r => r.Path == "/v1/auth/approle/login"), "re-login after a capped renewal");
        await backend.Store.ReadAsync("core/x", CancellationToken.None);
        Assert.That(Paths(), Is.EqualTo(new[] { "POST auth/token/renew-self 200", "POST auth/approle/login 200", "GET lyndrix/data/core/x 404" }));
    }

    [Test]
    public async Task A_refused_renewal_leads_to_a_fresh_login()
    {
        var backend = await OpenWithAppRoleAsync(TimeSpan.FromMinutes(30), TimeSpan.FromHours(2));
        _vault.RevokeNonRootTokens();
        _time.Advance(TimeSpan.FromMinutes(21));
        await Eventually.True(() => _vault.Requests.All.Any(r => r.Path == "/v1/auth/approle/login"), "re-login after a refused renewal");
        await backend.Store.ReadAsync("core/x", CancellationToken.None);
        Assert.That(Paths(), Is.EqualTo(new[] { "POST auth/token/renew-self 403", "POST auth/approle/login 200", "GET lyndrix/data/core/x 404" }));
    }

    [TestCase(InvalidTokenStyle.MultiError)]
    [TestCase(InvalidTokenStyle.TwoEntries)]
    [TestCase(InvalidTokenStyle.PlainPermissionDenied)]
    public async Task A_call_refused_for_an_invalid_token_logs_in_again_once_and_repeats_once(InvalidTokenStyle style)
    {
        _vault.Options.InvalidTokenStyle = style;
        var backend = await OpenWithAppRoleAsync(TimeSpan.FromMinutes(30), TimeSpan.FromHours(2));
        _vault.RevokeNonRootTokens();

        var read = await backend.Store.ReadAsync("core/x", CancellationToken.None);

        Assert.That(read.State, Is.EqualTo(KvReadState.NotFound));
        Assert.That(Paths(), Is.EqualTo(new[] { "GET lyndrix/data/core/x 403", "POST auth/approle/login 200", "GET lyndrix/data/core/x 404" }));
    }

    [Test]
    public async Task A_policy_refusal_does_not_trigger_a_login()
    {
        var backend = await OpenWithAppRoleAsync(TimeSpan.FromMinutes(30), TimeSpan.FromHours(2));
        var e = Assert.ThrowsAsync<VaultApiException>(() => backend.Client.ListMountsAsync(CancellationToken.None));
        Assert.That(e!.IsPermissionDenied && !e.IsInvalidToken, Is.True);
        Assert.That(Paths(), Is.EqualTo(new[] { "GET sys/mounts 403" }));
    }

    [Test]
    public async Task When_the_secret_id_is_used_up_the_re_login_failure_says_what_to_check()
    {
        var backend = await OpenWithAppRoleAsync(TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), secretIdUses: 1);
        _vault.RevokeNonRootTokens();
        var e = Assert.ThrowsAsync<SecretBackendAuthException>(() => backend.Store.ReadAsync("core/x", CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("AppRole login at auth/approle/login was refused (400: invalid role or secret ID)")
            .And.Contain("VAULT_SECRET_ID"));
    }

    [Test]
    public async Task A_renewable_VAULT_TOKEN_is_renewed_too()
    {
        var backend = await OpenWithTokenAsync(_vault.CreateToken([Policy], TimeSpan.FromMinutes(30)));
        Assert.That(backend.Client.Session.Origin, Is.EqualTo(VaultTokenOrigin.EnvironmentToken));
        _time.Advance(TimeSpan.FromMinutes(21));
        await Eventually.True(() => _vault.Requests.All.Any(r => r.Path == "/v1/auth/token/renew-self" && r.StatusCode == 200), "renewal of VAULT_TOKEN");
    }

    [Test]
    public async Task A_non_renewable_VAULT_TOKEN_without_approle_is_left_alone_with_a_warning()
    {
        var backend = await OpenWithTokenAsync(_vault.CreateToken([Policy], TimeSpan.FromMinutes(30), renewable: false));
        _time.Advance(TimeSpan.FromMinutes(21));
        await backend.Store.ReadAsync("core/x", CancellationToken.None);
        Assert.That(Paths(), Is.EqualTo(new[] { "GET lyndrix/data/core/x 404" }));
        Assert.That(_logs.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("not renewable", StringComparison.Ordinal)), Is.True);
    }

    [Test]
    public async Task A_revoked_VAULT_TOKEN_without_approle_fails_with_a_message_about_the_token()
    {
        var token = _vault.CreateToken([Policy], TimeSpan.FromHours(1));
        var backend = await OpenWithTokenAsync(token);
        _vault.RevokeToken(token);
        var e = Assert.ThrowsAsync<SecretBackendAuthException>(() => backend.Store.ReadAsync("core/x", CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("rejected the token (invalid, expired or revoked)").And.Contain("VAULT_TOKEN").And.Not.Contain(token));
        Assert.That(_vault.Requests.Count, Is.EqualTo(1));
    }
}
