using Lyndrix.VaultDouble;
using Microsoft.Extensions.Time.Testing;

namespace Lyndrix.Core.Tests.Secrets.Vault;

/// <summary>AppRole in the double (reference §7, §10.8).</summary>
public sealed class VaultDoubleAppRoleTests
{
    private FakeTimeProvider _time = null!;
    private VaultDoubleServer _vault = null!;
    private RawVault _raw = null!;

    [SetUp]
    public async Task SetUp()
    {
        _time = new FakeTimeProvider(DateTimeOffset.Parse("2025-06-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        _vault = await VaultDoubleServer.StartAsync(new VaultDoubleOptions { TimeProvider = _time });
        _raw = new RawVault(_vault.BaseAddress) { Token = _vault.InitializeAndUnseal().RootToken };
    }

    [TearDown]
    public async Task TearDown()
    {
        _raw.Dispose();
        await _vault.DisposeAsync();
    }

    private async Task<(string RoleId, string SecretId)> SetUpRoleOverHttpAsync(string roleBody)
    {
        Assert.That((await _raw.PostAsync("sys/auth/approle", """{"type":"approle"}""")).Status, Is.EqualTo(204));
        Assert.That((await _raw.PostAsync("auth/approle/role/lyndrix", roleBody)).Status, Is.EqualTo(204));
        var roleId = (await _raw.GetAsync("auth/approle/role/lyndrix/role-id")).Data!["role_id"]!.ToString();
        var secret = (await _raw.PostAsync("auth/approle/role/lyndrix/secret-id", "{}")).Data!;
        Assert.That(secret.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "secret_id", "secret_id_accessor", "secret_id_num_uses", "secret_id_ttl" }));
        return (roleId, secret["secret_id"]!.ToString());
    }

    [Test]
    public async Task Login_issues_a_service_token_with_the_roles_policies_and_ttl()
    {
        var (roleId, secretId) = await SetUpRoleOverHttpAsync("""{"token_policies":["lyndrix-host"],"token_ttl":"20m","token_max_ttl":"1h"}""");
        var login = await _raw.SendAsync("POST", "auth/approle/login", $$"""{"role_id":"{{roleId}}","secret_id":"{{secretId}}"}""", token: "");

        Assert.That(login.Status, Is.EqualTo(200));
        Assert.That(login.Object["data"], Is.Null);
        Assert.That(login.Object["mount_type"]!.ToString(), Is.EqualTo("approle"));
        var auth = login.Object["auth"]!;
        Assert.That(auth["policies"]!.ToJsonString(), Is.EqualTo("""["default","lyndrix-host"]"""));
        Assert.That(auth["lease_duration"]!.GetValue<long>(), Is.EqualTo(1200));
        Assert.That(auth["renewable"]!.GetValue<bool>(), Is.True);
        Assert.That(auth["metadata"]!["role_name"]!.ToString(), Is.EqualTo("lyndrix"));
        Assert.That(auth["token_type"]!.ToString(), Is.EqualTo("service"));
        Assert.That(auth["orphan"]!.GetValue<bool>(), Is.True);

        var lookup = (await _raw.GetAsync("auth/token/lookup-self", auth["client_token"]!.ToString())).Data!;
        Assert.That(lookup["path"]!.ToString(), Is.EqualTo("auth/approle/login"));
        Assert.That(lookup["display_name"]!.ToString(), Is.EqualTo("approle"));
    }

    [Test]
    public async Task Login_errors_have_vaults_exact_strings()
    {
        var (roleId, secretId) = await SetUpRoleOverHttpAsync("""{"token_policies":["p"]}""");
        async Task<string[]> LoginErrors(string body) => (await _raw.SendAsync("POST", "auth/approle/login", body, token: "")).Errors;

        Assert.That(await LoginErrors("{}"), Is.EqualTo(new[] { "missing role_id" }));
        Assert.That(await LoginErrors($$"""{"role_id":"{{roleId}}"}"""), Is.EqualTo(new[] { "missing secret_id" }));
        Assert.That(await LoginErrors($$"""{"role_id":"{{roleId}}","secret_id":"wrong"}"""), Is.EqualTo(new[] { "invalid role or secret ID" }));
        Assert.That(await LoginErrors($$"""{"role_id":"nope","secret_id":"{{secretId}}"}"""), Is.EqualTo(new[] { "invalid role or secret ID" }));
    }

    [Test]
    public async Task A_secret_id_runs_out_of_uses_and_expires()
    {
        var (roleId, secretId) = await SetUpRoleOverHttpAsync("""{"token_policies":["p"],"secret_id_num_uses":1,"secret_id_ttl":"10m"}""");
        var body = $$"""{"role_id":"{{roleId}}","secret_id":"{{secretId}}"}""";
        Assert.That((await _raw.SendAsync("POST", "auth/approle/login", body, token: "")).Status, Is.EqualTo(200));
        Assert.That((await _raw.SendAsync("POST", "auth/approle/login", body, token: "")).Errors, Is.EqualTo(new[] { "invalid role or secret ID" }));

        var second = (await _raw.PostAsync("auth/approle/role/lyndrix/secret-id", "{}")).Data!["secret_id"]!.ToString();
        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.That((await _raw.SendAsync("POST", "auth/approle/login", $$"""{"role_id":"{{roleId}}","secret_id":"{{second}}"}""", token: "")).Status,
            Is.EqualTo(400));
    }

    [Test]
    public async Task Auth_methods_are_listed_and_enabling_twice_conflicts()
    {
        await _raw.PostAsync("sys/auth/approle", """{"type":"approle"}""");
        Assert.That((await _raw.PostAsync("sys/auth/approle", """{"type":"approle"}""")).Errors, Is.EqualTo(new[] { "path is already in use at auth/approle/" }));
        var list = await _raw.GetAsync("sys/auth");
        Assert.That(list.Data!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "token/", "approle/" }));
        Assert.That(list.Object["approle/"]!["type"]!.ToString(), Is.EqualTo("approle"));
        Assert.That((await _raw.PostAsync("sys/auth/k8s", """{"type":"kubernetes"}""")).Errors, Is.EqualTo(new[] { "plugin not found in the catalog: kubernetes" }));
    }

    [Test]
    public async Task Login_at_a_mount_that_is_not_enabled_has_no_handler()
    {
        var reply = await _raw.SendAsync("POST", "auth/approle/login", """{"role_id":"x","secret_id":"y"}""");
        Assert.That(reply.Status, Is.EqualTo(404));
    }
}
