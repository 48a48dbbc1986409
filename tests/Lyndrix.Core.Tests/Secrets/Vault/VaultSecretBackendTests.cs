using System.Text.RegularExpressions;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Vault;
using Lyndrix.Core.Tests.Support;
using Lyndrix.VaultDouble;

namespace Lyndrix.Core.Tests.Secrets.Vault;

/// <summary><see cref="VaultSecretBackend"/> against the double: the lifecycle seam and what OpenAsync checks.</summary>
public sealed partial class VaultSecretBackendTests
{
    private VaultDoubleServer _vault = null!;
    private CapturingLoggerProvider _logs = null!;
    private readonly List<VaultSecretBackend> _backends = [];

    [GeneratedRegex(@"hv[sbr]\.[A-Za-z0-9]{10,}")]
    private static partial Regex TokenShape();

    [SetUp]
    public async Task SetUp()
    {
        _vault = await VaultDoubleServer.StartAsync();
        _logs = new CapturingLoggerProvider();
    }

    [TearDown]
    public async Task TearDown()
    {
        foreach (var b in _backends)
        {
            await b.DisposeAsync();
        }

        _backends.Clear();
        await _vault.DisposeAsync();
    }

    private VaultSecretBackend Backend(string? token = null, string? roleId = null, string? secretId = null)
    {
        var backend = VaultTestKit.Backend(VaultTestKit.Settings(_vault.BaseAddress, token, roleId, secretId), _logs);
        _backends.Add(backend);
        return backend;
    }

    private string ScopedToken(string hcl)
    {
        var name = "p" + Guid.NewGuid().ToString("N")[..8];
        _vault.PutPolicy(name, hcl);
        return _vault.CreateToken([name]);
    }

    [Test]
    public async Task Status_follows_the_seal_state_and_an_unreachable_vault_is_said_so()
    {
        var backend = Backend();
        Assert.That(backend.Kind, Is.EqualTo("vault"));
        Assert.That(await backend.GetStatusAsync(CancellationToken.None), Is.EqualTo(new SecretBackendStatus(false, true, "1.17.5")));
        _vault.Initialize();
        Assert.That((await backend.GetStatusAsync(CancellationToken.None)).Sealed, Is.True);
        _vault.Unseal();
        Assert.That(await backend.GetStatusAsync(CancellationToken.None), Is.EqualTo(new SecretBackendStatus(true, false, "1.17.5")));

        await _vault.DisposeAsync();
        Assert.ThrowsAsync<SecretBackendUnreachableException>(() => backend.GetStatusAsync(CancellationToken.None));
        _vault = await VaultDoubleServer.StartAsync();
    }

    [Test]
    public async Task Initialize_makes_one_hex_share_and_leaves_vault_sealed_and_unseal_opens_it()
    {
        var backend = Backend();
        var material = await backend.InitializeAsync(CancellationToken.None);

        Assert.That(material.RootToken, Does.StartWith("hvs."));
        Assert.That(material.UnsealKeys, Has.Count.EqualTo(1));
        Assert.That(material.UnsealKeys[0], Does.Match("^[0-9a-f]+$"));
        Assert.That(_vault.Requests.To("sys/init").Single().Body, Is.EqualTo("""{"secret_shares":1,"secret_threshold":1}"""));
        Assert.That(_vault.IsSealed, Is.True);

        var status = await backend.UnsealAsync(material, CancellationToken.None);
        Assert.That(status, Is.EqualTo(new SecretBackendStatus(true, false, "1.17.5")));
        Assert.That(_vault.IsSealed, Is.False);
    }

    [Test]
    public async Task Initializing_an_initialized_vault_is_refused_with_advice()
    {
        _vault.Initialize();
        var e = Assert.ThrowsAsync<SecretBackendAlreadyInitializedException>(() => Backend().InitializeAsync(CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("already initialized").And.Contain("vault_keys.enc"));
        Assert.That(_vault.Requests.To("sys/init"), Has.Count.EqualTo(1), "init is never repeated");
    }

    [Test]
    public async Task A_wrong_unseal_key_is_rejected_with_a_reason_and_partial_progress_is_reported()
    {
        _vault.Initialize();
        var wrong = new KeyMaterial("hvs.unused", [new string('1', 66)]);
        var e = Assert.ThrowsAsync<VaultApiException>(() => Backend().UnsealAsync(wrong, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("rejected the unseal key (cipher: message authentication failed)").And.Contain("vault_keys.enc"));
        Assert.That(e.Message, Does.Not.Contain(new string('1', 66)));

        await _vault.DisposeAsync();
        _vault = await VaultDoubleServer.StartAsync();
        var init = _vault.Initialize(shares: 3, threshold: 2);
        var partial = await Backend().UnsealAsync(new KeyMaterial(init.RootToken, [init.Keys[1]]), CancellationToken.None);
        Assert.That(partial.Sealed, Is.True);
        var rest = await Backend().UnsealAsync(new KeyMaterial(init.RootToken, [init.Keys[2]]), CancellationToken.None);
        Assert.That(rest.Sealed, Is.False);
    }

    [Test]
    public async Task Opening_with_the_stored_root_token_creates_the_kv_v2_mount_when_absent()
    {
        var init = _vault.InitializeAndUnseal();
        var backend = Backend();
        await backend.OpenAsync(new KeyMaterial(init.RootToken, init.Keys), CancellationToken.None);

        Assert.That(backend.IsOpen, Is.True);
        Assert.That(backend.Client.Session.Origin, Is.EqualTo(VaultTokenOrigin.RootToken));
        var enable = _vault.Requests.To("sys/mounts/lyndrix").Single();
        Assert.That((enable.Method, enable.Body), Is.EqualTo(("POST", """{"type":"kv","description":"Lyndrix secrets (KV version 2)","options":{"version":"2"}}""")));
        Assert.That(await backend.Store.WriteAsync("core/x", new Dictionary<string, string> { ["k"] = "v" }, 0, CancellationToken.None), Is.EqualTo(1));
    }

    [Test]
    public async Task An_existing_kv_v2_mount_is_used_as_it_is()
    {
        var init = _vault.InitializeAndUnseal();
        _vault.EnableKv("lyndrix");
        _vault.WriteKv("lyndrix", "core/x", new Dictionary<string, string> { ["k"] = "kept" });
        var backend = Backend();
        await backend.OpenAsync(new KeyMaterial(init.RootToken, init.Keys), CancellationToken.None);
        Assert.That(_vault.Requests.To("sys/mounts/lyndrix"), Is.Empty);
        Assert.That((await backend.Store.ReadAsync("core/x", CancellationToken.None)).Data!["k"], Is.EqualTo("kept"));
    }

    [Test]
    public async Task VAULT_TOKEN_wins_over_the_stored_root_token()
    {
        var init = _vault.InitializeAndUnseal();
        _vault.EnableKv("lyndrix");
        var token = ScopedToken(VaultTestKit.HostPolicy + """path "sys/mounts" { capabilities = ["read"] }""");
        var backend = Backend(token: token);
        await backend.OpenAsync(new KeyMaterial(init.RootToken, init.Keys), CancellationToken.None);
        Assert.That(backend.Client.Session.Origin, Is.EqualTo(VaultTokenOrigin.EnvironmentToken));
        Assert.That(_vault.Requests.All.Select(r => r.TokenFingerprint).Distinct(), Is.EqualTo(new[] { LoggedRequest.FingerprintOf(token) }));
    }

    [Test]
    public async Task A_mount_that_appears_meanwhile_counts_as_existing_after_its_type_is_checked()
    {
        var init = _vault.InitializeAndUnseal();
        _vault.Faults.Add(VaultFault.Before(v => v.EnableKv("lyndrix")), method: "POST", pathPrefix: "sys/mounts/lyndrix");
        var backend = Backend();
        await backend.OpenAsync(new KeyMaterial(init.RootToken, init.Keys), CancellationToken.None);
        Assert.That(backend.IsOpen, Is.True);
        Assert.That(_vault.Requests.To("sys/mounts/lyndrix").Select(r => (r.Method, r.StatusCode)), Is.EqualTo(new[] { ("POST", 400), ("GET", 200) }));
    }

    [TestCase(400)]
    [TestCase(409)]
    public async Task A_mount_overlapping_lyndrix_is_explained(int conflictStatus)
    {
        var init = _vault.InitializeAndUnseal();
        _vault.Options.MountConflictStatus = conflictStatus;
        _vault.EnableKv("lyndrix/inner");
        var e = Assert.ThrowsAsync<SecretBackendAuthException>(() => Backend().OpenAsync(new KeyMaterial(init.RootToken, init.Keys), CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("overlaps an existing mount").And.Contain("parent or child path"));
    }

    [Test]
    public async Task A_kv_version_1_mount_is_refused_with_the_upgrade_command()
    {
        var init = _vault.InitializeAndUnseal();
        _vault.EnableKv("lyndrix", version: 1);
        var backend = Backend();
        var e = Assert.ThrowsAsync<SecretBackendAuthException>(() => backend.OpenAsync(new KeyMaterial(init.RootToken, init.Keys), CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("KV version 1 engine").And.Contain("vault kv enable-versioning lyndrix/"));
        Assert.That(backend.IsOpen, Is.False);
    }

    [Test]
    public async Task A_token_that_may_not_list_mounts_falls_back_to_the_ui_probe()
    {
        _vault.InitializeAndUnseal();
        _vault.EnableKv("lyndrix");
        var backend = Backend(token: ScopedToken(VaultTestKit.HostPolicy));
        await backend.OpenAsync(null, CancellationToken.None);
        Assert.That(backend.IsOpen, Is.True);
        Assert.That(_vault.Requests.All.Select(r => (r.Path, r.StatusCode)), Is.SupersetOf(new[]
        {
            ("/v1/sys/mounts", 403), ("/v1/sys/internal/ui/mounts/lyndrix", 200),
        }));
    }

    [Test]
    public async Task A_scoped_token_without_a_mount_it_can_see_is_told_what_the_administrator_must_do()
    {
        _vault.InitializeAndUnseal();
        var e = Assert.ThrowsAsync<SecretBackendAuthException>(() => Backend(token: ScopedToken(VaultTestKit.HostPolicy)).OpenAsync(null, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("may not list mounts").And.Contain("sys/internal/ui/mounts/lyndrix was refused")
            .And.Contain("vault secrets enable -path=lyndrix kv-v2").And.Contain("from VAULT_TOKEN"));
    }

    [Test]
    public async Task A_token_that_may_list_but_not_create_the_mount_is_told_so()
    {
        _vault.InitializeAndUnseal();
        var token = ScopedToken(VaultTestKit.HostPolicy + """path "sys/mounts" { capabilities = ["read"] }""");
        var e = Assert.ThrowsAsync<SecretBackendAuthException>(() => Backend(token: token).OpenAsync(null, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("does not exist and the token from VAULT_TOKEN may not create it").And.Contain("sys/mounts/lyndrix"));
    }

    [Test]
    public async Task A_policy_that_forbids_kv_operations_is_named()
    {
        _vault.InitializeAndUnseal();
        _vault.EnableKv("lyndrix");
        var token = ScopedToken("""path "lyndrix/metadata/*" { capabilities = ["list"] }""");
        var e = Assert.ThrowsAsync<SecretBackendAuthException>(() => Backend(token: token).OpenAsync(null, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("its policies forbid KV operations").And.Contain("lyndrix/data/*"));
    }

    [Test]
    public async Task An_invalid_token_is_reported_as_such_without_its_value()
    {
        _vault.InitializeAndUnseal();
        const string Bogus = "hvs.NotARealTokenButLongEnough123";
        var e = Assert.ThrowsAsync<SecretBackendAuthException>(() => Backend(token: Bogus).OpenAsync(null, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("The Vault token from VAULT_TOKEN was refused by auth/token/lookup-self: the token is invalid, expired or revoked")
            .And.Not.Contain(Bogus));
    }

    [Test]
    public async Task A_refused_approle_login_names_the_variables_without_the_secret()
    {
        _vault.InitializeAndUnseal();
        var (roleId, _) = _vault.CreateAppRole("lyndrix", ["default"]);
        const string WrongSecret = "00000000-bad0-secret-0000-000000000000";
        var e = Assert.ThrowsAsync<SecretBackendAuthException>(() => Backend(roleId: roleId, secretId: WrongSecret).OpenAsync(null, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("invalid role or secret ID").And.Contain("VAULT_ROLE_ID").And.Not.Contain(WrongSecret));
    }

    [Test]
    public async Task Without_any_token_source_open_says_where_a_token_can_come_from()
    {
        _vault.InitializeAndUnseal();
        var e = Assert.ThrowsAsync<SecretBackendAuthException>(() => Backend().OpenAsync(null, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("VAULT_TOKEN").And.Contain("VAULT_ROLE_ID").And.Contain("vault_keys.enc"));
        Assert.That(_vault.Requests.Count, Is.Zero);
    }

    [Test]
    public async Task A_fresh_mount_that_is_still_upgrading_does_not_fail_the_open()
    {
        _vault.Options.KvUpgradeRequests = 3;
        var init = _vault.InitializeAndUnseal();
        var backend = Backend();
        await backend.OpenAsync(new KeyMaterial(init.RootToken, init.Keys), CancellationToken.None);
        Assert.That(backend.IsOpen, Is.True);
        Assert.That(_vault.Requests.To("lyndrix/data/core/lyndrix-access-check").Select(r => r.StatusCode), Is.EqualTo(new[] { 400, 400, 400, 404 }));
    }

    [Test]
    public async Task Sealing_while_running_turns_store_calls_into_the_sealed_state()
    {
        var init = _vault.InitializeAndUnseal();
        var backend = Backend();
        await backend.OpenAsync(new KeyMaterial(init.RootToken, init.Keys), CancellationToken.None);
        _vault.Faults.Add(VaultFault.Seal(), pathPrefix: "lyndrix/");
        Assert.ThrowsAsync<SecretBackendSealedException>(() => backend.Store.ReadAsync("core/x", CancellationToken.None));
        Assert.That((await backend.GetStatusAsync(CancellationToken.None)).Sealed, Is.True);
        await backend.UnsealAsync(new KeyMaterial(init.RootToken, init.Keys), CancellationToken.None);
        Assert.That((await backend.Store.ReadAsync("core/x", CancellationToken.None)).State, Is.EqualTo(KvReadState.NotFound));
    }

    [Test]
    public async Task No_token_secret_id_or_key_appears_in_any_exception_message_or_captured_log()
    {
        var init = _vault.InitializeAndUnseal();
        var (roleId, secretId) = _vault.CreateAppRole("lyndrix", ["default"], secretIdNumUses: 1);
        var messages = new List<string>();

        async Task Capture(Func<Task> action)
        {
            try
            {
                await action();
            }
            catch (Exception e)
            {
                for (var x = e; x is not null; x = x.InnerException)
                {
                    messages.Add(x.ToString());
                }
            }
        }

        var material = new KeyMaterial(init.RootToken, init.Keys);
        var rootBackend = Backend();
        await Capture(() => rootBackend.OpenAsync(material, CancellationToken.None));
        await Capture(() => Backend(token: init.RootToken + "x").OpenAsync(null, CancellationToken.None));
        await Capture(() => Backend(roleId: roleId, secretId: secretId).OpenAsync(null, CancellationToken.None));
        await Capture(() => Backend(roleId: roleId, secretId: secretId).OpenAsync(null, CancellationToken.None));
        _vault.Faults.Add(VaultFault.Status(400, null, "echo {token}"));
        await Capture(() => rootBackend.Store.ReadAsync("core/x", CancellationToken.None));
        _vault.Faults.Add(VaultFault.Status(502, null, "upstream said {token}"), times: 3);
        await Capture(() => rootBackend.Store.ReadAsync("core/x", CancellationToken.None));
        _vault.Seal();
        await Capture(() => rootBackend.UnsealAsync(new KeyMaterial(init.RootToken, ["ab" + init.Keys[0][2..]]), CancellationToken.None));
        await Capture(() => rootBackend.Store.ReadAsync("core/x", CancellationToken.None));

        var everything = string.Join("\n", messages) + "\n" + _logs.AllText;
        Assert.That(messages, Has.Count.GreaterThanOrEqualTo(5));
        Assert.Multiple(() =>
        {
            Assert.That(everything, Does.Not.Contain(init.RootToken));
            Assert.That(everything, Does.Not.Contain(secretId));
            Assert.That(everything, Does.Not.Contain(init.Keys[0][2..]));
            Assert.That(TokenShape().Matches(everything).Select(m => m.Value), Is.Empty);
        });
    }
}
