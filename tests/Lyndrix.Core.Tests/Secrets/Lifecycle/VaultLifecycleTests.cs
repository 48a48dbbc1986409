using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Secrets.Scopes;
using Lyndrix.Core.Secrets.Vault;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Secrets.Vault;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Lyndrix.VaultDouble;
using Microsoft.Extensions.Logging.Abstractions;
using static Lyndrix.Core.Tests.Secrets.Support.SecretTestSettings;

namespace Lyndrix.Core.Tests.Secrets.Lifecycle;

/// <summary>The lifecycle over the real Vault client and backend, against the Vault API double.</summary>
public class VaultLifecycleTests
{
    private const string Maintenance = CoreTopics.SystemMaintenanceMode;

    private TempDirectory _dir = null!;
    private VaultDoubleServer _vault = null!;
    private CapturingLoggerProvider _logs = null!;
    private List<VaultSecretBackend> _backends = null!;

    [SetUp]
    public async Task SetUp()
    {
        // One fixture instance runs every test: per-test state is created here.
        _logs = new CapturingLoggerProvider();
        _backends = [];
        _dir = new TempDirectory("lyndrix-secrets");
        _vault = await VaultDoubleServer.StartAsync();
    }

    [TearDown]
    public async Task TearDown()
    {
        foreach (var b in _backends)
        {
            await b.DisposeAsync();
        }

        await _vault.DisposeAsync();
        _dir.Dispose();
    }

    private VaultSecretBackend Backend(string? token = null)
    {
        var backend = VaultTestKit.Backend(VaultTestKit.Settings(_vault.BaseAddress, token: token, maxRetries: 0, timeoutSeconds: 2), _logs);
        _backends.Add(backend);
        return backend;
    }

    private Task<LifecycleHarness> StartAsync(VaultSecretBackend backend, string? masterKey = MasterKey) =>
        LifecycleHarness.StartAsync(For(_dir.Path, masterKey, vaultUrl: _vault.BaseAddress.ToString()), backend);

    private static ModuleManifest Plugin(string id) => new() { Id = id, Name = id, Version = "1.0.0" };

    [Test]
    public async Task Fresh_init_writes_vaults_keys_then_unseals_mounts_and_opens()
    {
        await using var h = await StartAsync(Backend());
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
        var material = await h.KeyFile.ReadAsync(MasterKey, CancellationToken.None);
        var scope = new ModuleSecretScopeFactory(h.Backend, h.Settings, TimeProvider.System, NullLoggerFactory.Instance).For(Plugin("hello"));
        await scope.SetAsync("api_token", "abc", CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(h.Events.Topics, Is.EqualTo(new[]
            {
                CoreTopics.VaultNeedsInit, CoreTopics.VaultInitRequested, CoreTopics.VaultOpened, CoreTopics.VaultReadyForData,
            }));
            Assert.That(_vault.IsInitialized && !_vault.IsSealed);
            Assert.That(material.RootToken, Does.StartWith("hvs."));
            Assert.That(material.UnsealKeys, Has.Count.EqualTo(1));
            Assert.That(await scope.GetAsync("api_token", CancellationToken.None), Is.EqualTo("abc"));
            Assert.That(h.Logs.AllText + _logs.AllText, Does.Not.Contain(material.RootToken).And.Not.Contain(material.UnsealKeys[0]));
        });
    }

    [Test]
    public async Task Restart_of_a_sealed_vault_auto_unseals_from_the_key_file()
    {
        await using (var first = await StartAsync(Backend()))
        {
            await first.Events.WaitFor(CoreTopics.VaultReadyForData);
            await first.Backend.Store.WriteAsync("plugins/p", new Dictionary<string, string> { ["k"] = "v" }, 0, CancellationToken.None);
        }

        _vault.Seal();
        await using var h = await StartAsync(Backend());
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
        Assert.Multiple(async () =>
        {
            Assert.That(h.Events.Topics, Is.EqualTo(new[]
            {
                CoreTopics.VaultNeedsUnseal, CoreTopics.VaultUnsealRequested, CoreTopics.VaultOpened, CoreTopics.VaultReadyForData,
            }));
            Assert.That((await h.Backend.Store.ReadAsync("plugins/p", CancellationToken.None)).Data!["k"], Is.EqualTo("v"));
        });
    }

    [Test]
    public async Task A_vault_sealed_while_running_is_auto_unsealed()
    {
        await using var h = await StartAsync(Backend());
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
        var before = h.Events.Topics.Count;
        _vault.Seal();
        await h.Events.WaitForCount(CoreTopics.VaultReadyForData, 2);
        await h.SettleAsync();
        Assert.That(h.Events.Topics.Skip(before), Is.EqualTo(new[]
        {
            $"{Maintenance}(on:sealed)", CoreTopics.VaultNeedsUnseal, CoreTopics.VaultUnsealRequested, $"{Maintenance}(off)",
            CoreTopics.VaultOpened, CoreTopics.VaultReadyForData,
        }));
        Assert.That(_vault.IsSealed, Is.False);
    }

    [Test]
    public async Task Dropped_connections_are_retried_under_maintenance_until_vault_answers()
    {
        var init = _vault.Initialize();
        await new VaultKeyFile(_dir.File(VaultKeyFile.FileName), FastArgon).CreateAsync(new KeyMaterial(init.RootToken, init.Keys), MasterKey, CancellationToken.None);
        _vault.Faults.Add(VaultFault.Drop(), times: 3, pathPrefix: "sys/seal-status");
        await using var h = await StartAsync(Backend());
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
        await h.SettleAsync();
        Assert.That(h.Events.Topics, Is.EqualTo(new[]
        {
            $"{Maintenance}(on:unreachable)", CoreTopics.VaultConnectionFailed, CoreTopics.VaultConnectionFailed, CoreTopics.VaultConnectionFailed,
            $"{Maintenance}(off)", CoreTopics.VaultNeedsUnseal, CoreTopics.VaultUnsealRequested, CoreTopics.VaultOpened, CoreTopics.VaultReadyForData,
        }));
    }

    [Test]
    public async Task Unsealed_vault_without_master_key_opens_with_VAULT_TOKEN()
    {
        var init = _vault.InitializeAndUnseal();
        await using var h = await StartAsync(Backend(token: init.RootToken), masterKey: null);
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
        Assert.That(h.Events.Topics, Is.EqualTo(new[] { CoreTopics.VaultOpened, CoreTopics.VaultReadyForData }));
    }

    [Test]
    public async Task Unsealed_vault_without_any_credential_is_no_dead_end_and_an_unseal_request_restores_the_token()
    {
        var init = _vault.InitializeAndUnseal();
        await new VaultKeyFile(_dir.File(VaultKeyFile.FileName), FastArgon).CreateAsync(new KeyMaterial(init.RootToken, init.Keys), MasterKey, CancellationToken.None);
        await using var h = await StartAsync(Backend(), masterKey: null);
        await h.Events.WaitFor(CoreTopics.VaultAuthFailed);
        var failure = h.Events.Last(CoreTopics.VaultAuthFailed).Payload;
        Assert.Multiple(() =>
        {
            Assert.That(failure.GetString("reason"), Is.EqualTo("no_credentials"));
            Assert.That(failure.GetString("message"), Does.Contain("LYNDRIX_MASTER_KEY").And.Contain("VAULT_TOKEN").And.Contain("AppRole"));
        });

        // The original answered "already unsealed" here and could not recover.
        h.Lifecycle.RequestUnseal(MasterKey, "api");
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
    }

    [Test]
    public async Task Concurrent_module_writes_from_two_hosts_on_one_vault_lose_no_update()
    {
        var init = _vault.InitializeAndUnseal();
        var material = new KeyMaterial(init.RootToken, init.Keys);
        var hosts = new[] { Backend(), Backend() };
        foreach (var b in hosts)
        {
            await b.OpenAsync(material, CancellationToken.None);
        }

        var settings = For(_dir.Path);
        var factories = hosts.Select(b => new ModuleSecretScopeFactory(b, settings, TimeProvider.System, NullLoggerFactory.Instance)).ToArray();
        await Task.WhenAll(from f in Enumerable.Range(0, 2)
                           from t in Enumerable.Range(0, 3)
                           select Task.Run(async () =>
                           {
                               for (var i = 0; i < 5; i++)
                               {
                                   await factories[f].For(Plugin("shared")).SetAsync($"h{f}-t{t}-k{i}", $"{f}{t}{i}", CancellationToken.None);
                               }
                           }));
        var data = (await hosts[0].Store.ReadAsync("plugins/shared", CancellationToken.None)).Data!;
        Assert.That(data, Has.Count.EqualTo(2 * 3 * 5));
    }
}
