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

    private Task<LifecycleHarness> StartAsync(VaultDoubleServer vault) =>
        LifecycleHarness.StartAsync(For(_dir.Path, MasterKey, vaultUrl: vault.BaseAddress.ToString(),
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
}
