using Lyndrix.Core.Secrets.Vault;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Secrets.Vault;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;
using Lyndrix.VaultDouble;
using static Lyndrix.Core.Tests.Secrets.Support.SecretTestSettings;

namespace Lyndrix.Core.Tests.Secrets.Lifecycle;

/// <summary>The lifecycle against a Vault cluster's own behaviours: the leaderless seconds after an unseal (back off, do not
/// spin) and auto-unseal seals (auto-init with recovery shares).</summary>
public sealed class VaultClusterLifecycleTests
{
    private TempDirectory _dir = null!;
    private VaultDoubleServer? _vault;
    private CapturingLoggerProvider _logs = null!;
    private List<VaultSecretBackend> _backends = null!;

    [SetUp]
    public void SetUp()
    {
        _logs = new CapturingLoggerProvider();
        _backends = [];
        _dir = new TempDirectory("lyndrix-cluster");
    }

    [TearDown]
    public async Task TearDown()
    {
        foreach (var b in _backends)
        {
            await b.DisposeAsync();
        }

        if (_vault is not null)
        {
            await _vault.DisposeAsync();
        }

        _dir.Dispose();
    }

    private VaultSecretBackend Backend(VaultDoubleServer vault)
    {
        var backend = VaultTestKit.Backend(VaultTestKit.Settings(vault.BaseAddress, maxRetries: 0, timeoutSeconds: 2), _logs);
        _backends.Add(backend);
        return backend;
    }

    private Task<LifecycleHarness> StartAsync(VaultDoubleServer vault, string? securityDir = null) =>
        LifecycleHarness.StartAsync(For(securityDir ?? _dir.Path, MasterKey, vaultUrl: vault.BaseAddress.ToString(),
            retryDelay: TimeSpan.FromMilliseconds(200), retryMaxDelay: TimeSpan.FromMilliseconds(400)), Backend(vault));

    [Test]
    public async Task After_unsealing_a_leaderless_cluster_the_open_backs_off_and_maintenance_is_raised_and_lifted_once()
    {
        var window = TimeSpan.FromSeconds(1.5);
        _vault = await VaultDoubleServer.StartAsync(new VaultDoubleOptions { LeaderElectionDelay = window });
        await using var h = await StartAsync(_vault);
        await h.Events.WaitFor(CoreTopics.VaultReadyForData, 20);
        await h.SettleAsync();
        var lookups = _vault.Requests.To("auth/token/lookup-self");
        var maintenance = h.Events.Topics.Where(t => t.StartsWith(CoreTopics.SystemMaintenanceMode, StringComparison.Ordinal)).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(lookups.Count(r => r.StatusCode == 500), Is.GreaterThanOrEqualTo(1), "the window was hit");
            // 1.5 s at 200-400 ms per retry: a handful. The old loop re-opened at once, hundreds of times.
            Assert.That(lookups, Has.Count.LessThanOrEqualTo(12));
            Assert.That(maintenance, Is.EqualTo(new[] { $"{CoreTopics.SystemMaintenanceMode}(on:unreachable)", $"{CoreTopics.SystemMaintenanceMode}(off)" }));
            Assert.That(h.Events.Topics.Count(t => t == CoreTopics.VaultOpened), Is.EqualTo(1));
            Assert.That(_vault.Requests.To("sys/unseal"), Has.Count.EqualTo(1), "the key file's keys were submitted once");
        });
    }

    [Test]
    public async Task Auto_init_of_an_auto_unseal_vault_sends_recovery_shares_stores_the_recovery_key_and_opens()
    {
        _vault = await VaultDoubleServer.StartAsync(new VaultDoubleOptions { SealType = "transit", LeaderElectionDelay = TimeSpan.FromMilliseconds(300) });
        await using (var h = await StartAsync(_vault))
        {
            await h.Events.WaitFor(CoreTopics.VaultReadyForData, 20);
            var material = await h.KeyFile.ReadAsync(MasterKey, CancellationToken.None);
            Assert.Multiple(() =>
            {
                Assert.That(_vault.Requests.To("sys/init").Single().Body, Does.Contain("\"recovery_shares\":1"));
                Assert.That(_vault.Requests.To("sys/unseal"), Is.Empty, "recovery keys never unseal");
                Assert.That(material.UnsealKeys, Is.Empty);
                Assert.That(material.RecoveryKeyList, Has.Count.EqualTo(1));
                Assert.That(h.Events.Has(CoreTopics.VaultInitFailed), Is.False);
            });
        }

        // A restart finds it unsealed and opens with the stored root token.
        await using var again = await StartAsync(_vault);
        await again.Events.WaitFor(CoreTopics.VaultReadyForData, 20);
        Assert.That(_vault.Requests.To("sys/init"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Two_hosts_racing_to_auto_init_one_vault_end_with_one_initialization_and_both_open_with_the_shared_key_file()
    {
        _vault = await VaultDoubleServer.StartAsync();
        // Both init requests are in flight together; Vault serves one, the other gets "already initialized".
        _vault.Faults.Add(VaultFault.Latency(TimeSpan.FromMilliseconds(300)), times: 2, method: "PUT", pathPrefix: "sys/init");
        var hosts = await Task.WhenAll(StartAsync(_vault), StartAsync(_vault));
        await using var a = hosts[0];
        await using var b = hosts[1];
        await a.Events.WaitFor(CoreTopics.VaultReadyForData, 20);
        await b.Events.WaitFor(CoreTopics.VaultReadyForData, 20);
        var inits = _vault.Requests.To("sys/init").Where(r => r.Method == "PUT").ToArray();
        var material = await a.KeyFile.ReadAsync(MasterKey, CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(inits.Select(r => r.StatusCode).Order(), Is.EqualTo(new[] { 200, 400 }), "both tried, exactly one initialized");
            Assert.That(a.Events.Has(CoreTopics.VaultInitFailed) || b.Events.Has(CoreTopics.VaultInitFailed), Is.False,
                "losing the race is not a failure");
            Assert.That(Directory.GetFiles(_dir.Path, "vault_keys.enc*"), Has.Length.EqualTo(1));
            Assert.That((await b.KeyFile.ReadAsync(MasterKey, CancellationToken.None)).RootToken, Is.EqualTo(material.RootToken));
            Assert.That(_vault.IsSealed, Is.False);
        });
    }

    [Test]
    public async Task A_host_that_lost_the_race_without_the_winners_key_file_says_what_it_needs_and_writes_no_key_file()
    {
        _vault = await VaultDoubleServer.StartAsync();
        _vault.Faults.Add(VaultFault.Latency(TimeSpan.FromMilliseconds(300)), times: 2, method: "PUT", pathPrefix: "sys/init");
        using var otherDir = new TempDirectory("lyndrix-cluster-b");
        var hosts = await Task.WhenAll(StartAsync(_vault), StartAsync(_vault, otherDir.Path));
        await using var a = hosts[0];
        await using var b = hosts[1];
        var (winner, loser, loserDir) = await WinnerAsync(a, b, otherDir.Path);
        await winner.Events.WaitFor(CoreTopics.VaultReadyForData, 20);
        await loser.Events.WaitFor(CoreTopics.VaultAuthFailed, 20);
        Assert.Multiple(() =>
        {
            Assert.That(loser.Events.Last(CoreTopics.VaultAuthFailed).Payload.GetString("reason"), Is.EqualTo("no_credentials"));
            Assert.That(loser.VaultDetail, Does.Contain("VAULT_TOKEN"));
            Assert.That(File.Exists(Path.Combine(loserDir, "vault_keys.enc")), Is.False, "no key file for someone else's initialization");
            Assert.That(loser.Events.Has(CoreTopics.VaultInitFailed), Is.False);
            Assert.That(_vault.Requests.To("sys/init").Count(r => r.StatusCode == 200), Is.EqualTo(1));
        });
    }

    private async Task<(LifecycleHarness Winner, LifecycleHarness Loser, string LoserDir)> WinnerAsync(LifecycleHarness a, LifecycleHarness b, string bDir)
    {
        await Eventually.True(() => File.Exists(Path.Combine(_dir.Path, "vault_keys.enc")) || File.Exists(Path.Combine(bDir, "vault_keys.enc")),
            "a key file written by the winner");
        return File.Exists(Path.Combine(_dir.Path, "vault_keys.enc")) ? (a, b, bDir) : (b, a, _dir.Path);
    }
}
