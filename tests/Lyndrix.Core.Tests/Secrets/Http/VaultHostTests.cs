using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using Lyndrix.VaultDouble;
using static Lyndrix.Core.Tests.Secrets.Support.SecretTestSettings;

namespace Lyndrix.Core.Tests.Secrets.Http;

/// <summary>The whole host with <c>VAULT_URL</c> pointing at the Vault API double.</summary>
public class VaultHostTests
{
    private TempDirectory _dir = null!;
    private VaultDoubleServer _vault = null!;

    [SetUp]
    public async Task SetUp()
    {
        _dir = new TempDirectory("lyndrix-secrets");
        _vault = await VaultDoubleServer.StartAsync();
    }

    [TearDown]
    public async Task TearDown()
    {
        await _vault.DisposeAsync();
        _dir.Dispose();
    }

    private Dictionary<string, string> Env(string? masterKey)
    {
        var env = HostEnvironment(_dir.Path, masterKey);
        env["VAULT_URL"] = _vault.BaseAddress.ToString();
        env["VAULT_TIMEOUT"] = "2";
        env["VAULT_MAX_RETRIES"] = "0";
        return env;
    }

    [Test]
    public async Task With_VAULT_URL_the_host_initializes_vault_opens_it_and_survives_a_seal()
    {
        const string pluginSecret = "vault-host-plugin-secret-42";
        await using var host = await HostHarness.StartAsync(Env(MasterKey));
        await host.Events.WaitFor(CoreTopics.VaultReadyForData);
        var status = await host.StatusAsync();
        await host.Get<IModuleSecretScopeFactory>().For(new ModuleManifest { Id = "vault.host", Name = "v", Version = "1.0.0" })
            .SetAsync("token", pluginSecret, CancellationToken.None);

        _vault.Seal();
        await host.Events.WaitForCount(CoreTopics.VaultReadyForData, 2);
        var material = await new VaultKeyFile(Path.Combine(_dir.Path, "security", VaultKeyFile.FileName), FastArgon).ReadAsync(MasterKey, CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(status.GetProperty("backend").GetString(), Is.EqualTo("vault"));
            Assert.That(status.GetProperty("ui_state").GetString(), Is.EqualTo("ready"));
            Assert.That(_vault.IsSealed, Is.False);
            Assert.That(await host.Get<IModuleSecretScopeFactory>().For(new ModuleManifest { Id = "vault.host", Name = "v", Version = "1.0.0" })
                .GetAsync("token", CancellationToken.None), Is.EqualTo(pluginSecret));
            Assert.That(host.Logs.AllText, Does.Not.Contain(material.RootToken).And.Not.Contain(material.UnsealKeys[0])
                .And.Not.Contain(MasterKey).And.Not.Contain(pluginSecret));
        });
    }

    [Test]
    public void A_bad_vault_setting_stops_the_host_at_start_naming_the_variable()
    {
        var env = Env(MasterKey);
        env["VAULT_SKIP_VERIFY"] = "true";
        var ex = Assert.ThrowsAsync<Lyndrix.Core.Configuration.ConfigurationException>(() => HostHarness.StartAsync(env))!;
        Assert.That(ex.Message, Does.Contain("VAULT_SKIP_VERIFY"));
    }
}
