using Lyndrix.VaultDouble;
using Microsoft.Extensions.Time.Testing;

namespace Lyndrix.Core.Tests.Secrets.Vault;

/// <summary>Tokens in the double (reference §2, §10.3).</summary>
public sealed class VaultDoubleTokenTests
{
    private FakeTimeProvider _time = null!;
    private VaultDoubleServer _vault = null!;
    private RawVault _raw = null!;
    private string _root = null!;

    [SetUp]
    public async Task SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));
        _vault = await VaultDoubleServer.StartAsync(new VaultDoubleOptions { TimeProvider = _time });
        _root = _vault.InitializeAndUnseal().RootToken;
        _raw = new RawVault(_vault.BaseAddress);
    }

    [TearDown]
    public async Task TearDown()
    {
        _raw.Dispose();
        await _vault.DisposeAsync();
    }

    [Test]
    public async Task X_Vault_Token_and_Bearer_both_authenticate_and_X_Vault_Token_wins()
    {
        Assert.That((await _raw.SendAsync("GET", "auth/token/lookup-self", token: _root)).Status, Is.EqualTo(200));
        Assert.That((await _raw.SendAsync("GET", "auth/token/lookup-self", token: _root, bearer: true)).Status, Is.EqualTo(200));

        using var http = new HttpClient { BaseAddress = _vault.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/auth/token/lookup-self");
        request.Headers.TryAddWithoutValidation("X-Vault-Token", "hvs.unknown-token-value-000000");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _root);
        using var response = await http.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.EqualTo(403));
    }

    [Test]
    public async Task Missing_and_unknown_tokens_get_403_with_realistic_texts()
    {
        var missing = await _raw.GetAsync("auth/token/lookup-self");
        var unknown = await _raw.GetAsync("auth/token/lookup-self", token: "hvs.AAAAAAAAAAAAAAAAAAAAAAAA");
        Assert.That((missing.Status, unknown.Status), Is.EqualTo((403, 403)));
        Assert.That(missing.Errors, Is.EqualTo(new[] { "permission denied" }));
        Assert.That(unknown.Errors, Is.EqualTo(new[] { "2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n" }));

        _vault.Options.InvalidTokenStyle = InvalidTokenStyle.TwoEntries;
        Assert.That((await _raw.GetAsync("auth/token/lookup-self", token: "hvs.x")).Errors, Is.EqualTo(new[] { "permission denied", "invalid token" }));
    }

    [Test]
    public async Task Root_lookup_self_has_no_ttl_and_no_expiry()
    {
        var data = (await _raw.GetAsync("auth/token/lookup-self", token: _root)).Object;
        Assert.That(data["mount_type"]!.ToString(), Is.EqualTo("token"));
        var d = data["data"]!.AsObject();
        Assert.Multiple(() =>
        {
            Assert.That(d["policies"]!.ToJsonString(), Is.EqualTo("""["root"]"""));
            Assert.That(d["ttl"]!.GetValue<long>(), Is.Zero);
            Assert.That(d["creation_ttl"]!.GetValue<long>(), Is.Zero);
            Assert.That(d["expire_time"], Is.Null);
            Assert.That(d["path"]!.ToString(), Is.EqualTo("auth/token/root"));
            Assert.That(d["display_name"]!.ToString(), Is.EqualTo("root"));
            Assert.That(d["meta"], Is.Null);
            Assert.That(d["id"]!.ToString(), Is.EqualTo(_root));
            Assert.That(d["renewable"]!.GetValue<bool>(), Is.False);
        });
    }

    [Test]
    public async Task Renewing_root_is_400_invalid_lease_id_and_a_non_renewable_token_is_400()
    {
        Assert.That((await _raw.PostAsync("auth/token/renew-self", "{}", _root)).Errors, Is.EqualTo(new[] { "invalid lease ID" }));
        var fixedToken = _vault.CreateToken(["p"], TimeSpan.FromHours(1), renewable: false);
        Assert.That((await _raw.PostAsync("auth/token/renew-self", "{}", fixedToken)).Errors, Is.EqualTo(new[] { "lease is not renewable" }));
    }

    [Test]
    public async Task A_token_expires_on_the_injected_clock_and_renewal_extends_it_up_to_the_max_ttl()
    {
        var token = _vault.CreateToken(["p"], TimeSpan.FromMinutes(30), maxTtl: TimeSpan.FromMinutes(45));
        _time.Advance(TimeSpan.FromMinutes(20));
        var lookup = (await _raw.GetAsync("auth/token/lookup-self", token)).Data!;
        Assert.That(lookup["ttl"]!.GetValue<long>(), Is.EqualTo(600));
        Assert.That(lookup["expire_time"]!.ToString(), Is.EqualTo("2025-01-02T03:34:05Z"));

        var renewed = await _raw.PostAsync("auth/token/renew-self", "{}", token);
        Assert.That(renewed.Status, Is.EqualTo(200));
        Assert.That(renewed.Object["data"], Is.Null);
        Assert.That(renewed.Object["auth"]!["lease_duration"]!.GetValue<long>(), Is.EqualTo(1500), "capped at issue + 45m");
        Assert.That(renewed.Warnings.Single(), Is.EqualTo("TTL of \"30m0s\" exceeded the effective max_ttl of \"25m0s\"; TTL value is capped accordingly"));

        _time.Advance(TimeSpan.FromMinutes(25));
        var expired = await _raw.GetAsync("auth/token/lookup-self", token);
        Assert.That(expired.Status, Is.EqualTo(403));
        Assert.That(expired.Errors.Single(), Does.Contain("invalid token"));
    }

    [Test]
    public async Task Token_create_returns_an_auth_block_and_children_cannot_exceed_the_parent()
    {
        _vault.PutPolicy("kv-reader", """path "auth/token/create" { capabilities = ["update"] }""");
        var created = await _raw.PostAsync("auth/token/create", """{"policies":["kv-reader"],"ttl":"1h","meta":{"who":"test"}}""", _root);
        var auth = created.Object["auth"]!.AsObject();
        Assert.That(auth.Select(p => p.Key), Is.EqualTo(new[]
        {
            "client_token", "accessor", "policies", "token_policies", "metadata", "lease_duration", "renewable", "entity_id", "token_type",
            "orphan", "mfa_requirement", "num_uses",
        }));
        Assert.That(auth["policies"]!.ToJsonString(), Is.EqualTo("""["default","kv-reader"]"""));
        Assert.That(auth["lease_duration"]!.GetValue<long>(), Is.EqualTo(3600));

        var child = auth["client_token"]!.ToString();
        var escalate = await _raw.PostAsync("auth/token/create", """{"policies":["admin"]}""", child);
        Assert.That(escalate.Errors, Is.EqualTo(new[] { "child policies must be subset of parent" }));
    }

    [Test]
    public async Task Num_uses_runs_out()
    {
        var token = _vault.CreateToken(["default"], numUses: 2);
        Assert.That((await _raw.GetAsync("auth/token/lookup-self", token)).Status, Is.EqualTo(200));
        Assert.That((await _raw.GetAsync("auth/token/lookup-self", token)).Status, Is.EqualTo(200));
        Assert.That((await _raw.GetAsync("auth/token/lookup-self", token)).Status, Is.EqualTo(403));
    }

    [Test]
    public async Task Revoke_self_ends_the_token()
    {
        var token = _vault.CreateToken(["default"]);
        Assert.That((await _raw.PostAsync("auth/token/revoke-self", "{}", token)).Status, Is.EqualTo(204));
        Assert.That((await _raw.GetAsync("auth/token/lookup-self", token)).Status, Is.EqualTo(403));
    }
}
