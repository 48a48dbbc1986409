using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Vault;
using Lyndrix.Core.Tests.Support;
using Lyndrix.VaultDouble;

namespace Lyndrix.Core.Tests.Secrets.Vault;

/// <summary>The three behaviours of a real Vault cluster (reference §12), in the double and in the client: the leaderless
/// window after an unseal and a standby's 307, auto-unseal seals, and the longest-prefix answer of <c>sys/mounts/&lt;path&gt;</c>.</summary>
public sealed class VaultClusterBehaviourTests
{
    private VaultDoubleServer? _vault;
    private readonly List<IAsyncDisposable> _disposables = [];
    private CapturingLoggerProvider _logs = null!;

    [SetUp]
    public void SetUp() => _logs = new CapturingLoggerProvider();

    [TearDown]
    public async Task TearDown()
    {
        foreach (var d in _disposables)
        {
            await d.DisposeAsync();
        }

        _disposables.Clear();
        if (_vault is not null)
        {
            await _vault.DisposeAsync();
        }
    }

    private async Task<VaultDoubleServer> StartAsync(VaultDoubleOptions? options = null) => _vault = await VaultDoubleServer.StartAsync(options);

    private VaultSecretBackend Backend(Uri url, int maxRetries = 0, string mount = "lyndrix", string? token = null)
    {
        var backend = VaultTestKit.Backend(VaultTestKit.Settings(url, token: token, maxRetries: maxRetries, retryWaitMs: 100, mount: mount), _logs);
        _disposables.Add(backend);
        return backend;
    }

    // ---- (a) leader election and standby ----

    [Test]
    public async Task Right_after_an_unseal_logical_requests_answer_500_without_an_active_node_while_seal_status_says_unsealed()
    {
        var vault = await StartAsync(new VaultDoubleOptions { LeaderElectionDelay = TimeSpan.FromSeconds(30) });
        var root = vault.InitializeAndUnseal().RootToken;
        using var raw = new RawVault(vault.BaseAddress) { Token = root };
        var lookup = await raw.GetAsync("auth/token/lookup-self");
        var seal = await raw.GetAsync("sys/seal-status");
        var health = await raw.GetAsync("sys/health");
        Assert.Multiple(() =>
        {
            Assert.That(lookup.Status, Is.EqualTo(500));
            Assert.That(lookup.Errors, Is.EqualTo(new[] { "local node not active but active cluster node not found" }));
            Assert.That(seal.Object["sealed"]!.GetValue<bool>(), Is.False);
            Assert.That(health.Status, Is.EqualTo(429), "no node is active yet");
            Assert.That(health.Object["standby"]!.GetValue<bool>(), Is.True);
        });

        vault.Options.LeaderElectionDelay = TimeSpan.Zero;
        Assert.That((await raw.GetAsync("auth/token/lookup-self")).Status, Is.EqualTo(200));
    }

    [Test]
    public async Task The_client_retries_the_leaderless_500_of_a_safe_call_until_a_leader_answers()
    {
        var vault = await StartAsync(new VaultDoubleOptions { LeaderElectionDelay = TimeSpan.FromMilliseconds(250) });
        var init = vault.InitializeAndUnseal();
        var backend = Backend(vault.BaseAddress, maxRetries: 4);
        await backend.OpenAsync(new KeyMaterial(init.RootToken, init.Keys), CancellationToken.None);
        Assert.That(vault.Requests.To("auth/token/lookup-self").Select(r => r.StatusCode), Does.Contain(500).And.Contain(200));
    }

    [Test]
    public async Task A_leaderless_500_stays_an_outage_not_a_refusal_when_retries_run_out()
    {
        var vault = await StartAsync(new VaultDoubleOptions { LeaderElectionDelay = TimeSpan.FromSeconds(30) });
        var init = vault.InitializeAndUnseal();
        var e = Assert.ThrowsAsync<SecretBackendUnreachableException>(() =>
            Backend(vault.BaseAddress).OpenAsync(new KeyMaterial(init.RootToken, init.Keys), CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("500").And.Contain("active cluster node not found"));
    }

    [Test]
    public async Task A_standby_answers_307_to_the_active_node_and_the_client_follows_it_with_its_token()
    {
        var active = await StartAsync();
        var init = active.InitializeAndUnseal();
        var standby = await active.StartStandbyAsync();
        _disposables.Add(standby);
        using var raw = new RawVault(standby.BaseAddress) { Token = init.RootToken };
        var redirect = await raw.GetAsync("auth/token/lookup-self?x=1");
        Assert.Multiple(async () =>
        {
            Assert.That(redirect.Status, Is.EqualTo(307));
            Assert.That(redirect.Location, Is.EqualTo(new Uri(active.BaseAddress, "v1/auth/token/lookup-self?x=1")));
            Assert.That(redirect.Body, Is.Empty);
            Assert.That((await raw.GetAsync("sys/seal-status")).Status, Is.EqualTo(200), "seal endpoints are answered by the standby itself");
            Assert.That((await raw.GetAsync("sys/health")).Status, Is.EqualTo(429));
        });

        var backend = Backend(standby.BaseAddress);
        await backend.OpenAsync(new KeyMaterial(init.RootToken, init.Keys), CancellationToken.None);
        await backend.Store.WriteAsync("core/x", new Dictionary<string, string> { ["k"] = "v" }, 0, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(active.Requests.To("lyndrix/data/core/x").Single(r => r.Method == "POST" || r.Method == "PUT").TokenFingerprint, Is.Not.Null);
            Assert.That(standby.Requests.To("lyndrix/data/core/x").Single(r => r.Method == "POST" || r.Method == "PUT").StatusCode, Is.EqualTo(307));
        });
    }

    // ---- (b) auto-unseal seals ----

    [Test]
    public async Task An_auto_unseal_seal_refuses_secret_shares_and_initializes_with_recovery_shares_into_an_unsealed_node()
    {
        var vault = await StartAsync(new VaultDoubleOptions { SealType = "transit" });
        using var raw = new RawVault(vault.BaseAddress);
        var status = await raw.GetAsync("sys/seal-status");
        var wrong = await raw.PostAsync("sys/init", """{"secret_shares":1,"secret_threshold":1}""");
        var init = await raw.PostAsync("sys/init", """{"recovery_shares":3,"recovery_threshold":2}""");
        var after = await raw.GetAsync("sys/seal-status");
        Assert.Multiple(() =>
        {
            Assert.That(status.Object["type"]!.ToString(), Is.EqualTo("transit"));
            Assert.That(status.Object["recovery_seal"]!.GetValue<bool>(), Is.True);
            Assert.That(wrong.Status, Is.EqualTo(400));
            Assert.That(wrong.Errors, Is.EqualTo(new[] { "parameters secret_shares,secret_threshold not applicable to seal type transit" }));
            Assert.That(init.Status, Is.EqualTo(200));
            Assert.That(init.Object["keys"]!.AsArray(), Is.Empty);
            Assert.That(init.Object["recovery_keys"]!.AsArray(), Has.Count.EqualTo(3));
            Assert.That(init.Object["recovery_keys_base64"]!.AsArray(), Has.Count.EqualTo(3));
            Assert.That(init.Object["root_token"]!.ToString(), Does.StartWith("hvs."));
            Assert.That(after.Object["sealed"]!.GetValue<bool>(), Is.False, "an auto-unseal node unseals itself");
            Assert.That(after.Object["t"]!.GetValue<int>(), Is.EqualTo(2));
        });
    }

    [Test]
    public async Task A_shamir_seal_refuses_recovery_shares()
    {
        var vault = await StartAsync();
        using var raw = new RawVault(vault.BaseAddress);
        var wrong = await raw.PostAsync("sys/init", """{"secret_shares":1,"secret_threshold":1,"recovery_shares":1}""");
        Assert.That(wrong.Errors, Is.EqualTo(new[] { "parameters recovery_shares not applicable to seal type shamir" }));
        Assert.That(vault.IsInitialized, Is.False);
    }

    [Test]
    public async Task The_backend_initializes_an_auto_unseal_vault_with_recovery_shares_and_keeps_the_recovery_key()
    {
        var vault = await StartAsync(new VaultDoubleOptions { SealType = "awskms" });
        var backend = Backend(vault.BaseAddress);
        var material = await backend.InitializeAsync(CancellationToken.None);
        var status = await backend.UnsealAsync(material, CancellationToken.None);
        await backend.OpenAsync(material, CancellationToken.None);
        var body = vault.Requests.To("sys/init").Single().Body;
        Assert.Multiple(() =>
        {
            Assert.That(body, Does.Contain("recovery_shares").And.Not.Contain("secret_shares"));
            Assert.That(material.UnsealKeys, Is.Empty);
            Assert.That(material.RecoveryKeyList, Has.Count.EqualTo(1));
            Assert.That(status.Sealed, Is.False);
            Assert.That(backend.IsOpen);
            Assert.That(_logs.AllText, Does.Not.Contain(material.RecoveryKeyList[0]).And.Not.Contain(material.RootToken));
        });
    }

    [Test]
    public async Task A_sealed_auto_unseal_vault_is_explained_not_fed_recovery_keys()
    {
        var vault = await StartAsync(new VaultDoubleOptions { SealType = "transit" });
        var init = vault.Initialize();
        vault.Seal();
        var e = Assert.ThrowsAsync<SecretBackendUnsealRejectedException>(() =>
            Backend(vault.BaseAddress).UnsealAsync(new KeyMaterial(init.RootToken, [], init.Keys), CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("auto-unseal").And.Contain("transit"));
        Assert.That(vault.Requests.To("sys/unseal"), Is.Empty);
    }

    // ---- (c) sys/mounts/<path> answers the longest prefix ----

    [Test]
    public async Task Reading_a_nested_mount_path_answers_the_parent_mount_without_its_path()
    {
        var vault = await StartAsync();
        using var raw = new RawVault(vault.BaseAddress) { Token = vault.InitializeAndUnseal().RootToken };
        await raw.PostAsync("sys/mounts/apps", """{"type":"kv-v2","description":"team apps"}""");
        var nested = await raw.GetAsync("sys/mounts/apps/lyndrix");
        Assert.That(nested.Status, Is.EqualTo(200));
        Assert.That(nested.Data!["description"]!.ToString(), Is.EqualTo("team apps"));
        Assert.That(nested.Data!.AsObject().ContainsKey("path"), Is.False);
    }

    [Test]
    public async Task The_client_does_not_take_a_parent_mount_for_the_nested_path_it_asked_for()
    {
        var vault = await StartAsync();
        var init = vault.InitializeAndUnseal();
        vault.EnableKv("apps", 2);
        var backend = Backend(vault.BaseAddress, token: init.RootToken);
        await backend.OpenAsync(null, CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(await backend.Client.GetMountAsync("apps/lyndrix", CancellationToken.None), Is.Null);
            Assert.That((await backend.Client.GetMountAsync("apps", CancellationToken.None))?.IsKvV2, Is.True);
            Assert.That((await backend.Client.GetMountAsync("lyndrix/", CancellationToken.None))?.Path, Is.EqualTo("lyndrix/"));
        });
    }

    [Test]
    public async Task A_lyndrix_mount_nested_under_another_engine_is_refused_with_what_to_do()
    {
        var vault = await StartAsync();
        var init = vault.InitializeAndUnseal();
        vault.EnableKv("apps", 2);
        var e = Assert.ThrowsAsync<SecretBackendAuthException>(() =>
            Backend(vault.BaseAddress, mount: "apps/lyndrix", token: init.RootToken).OpenAsync(null, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("overlaps an existing mount"));
    }

    [Test]
    public async Task A_scoped_token_whose_ui_probe_names_a_parent_mount_does_not_use_that_mount()
    {
        var vault = await StartAsync();
        vault.InitializeAndUnseal();
        vault.EnableKv("apps", 2);
        vault.PutPolicy("apps", """path "apps/*" { capabilities = ["read", "create", "update"] }""");
        var token = vault.CreateToken(["apps"]);
        var e = Assert.ThrowsAsync<SecretBackendAuthException>(() =>
            Backend(vault.BaseAddress, mount: "apps/lyndrix", token: token).OpenAsync(null, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("may not create it"));
    }
}
