using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;
using static Lyndrix.Core.Tests.Secrets.Support.SecretTestSettings;

namespace Lyndrix.Core.Tests.Secrets.Http;

/// <summary>Boots the whole host with a master key, uses secrets, restarts, fails an unseal, and scans every log line
/// (captured and on disk) for any secret value.</summary>
public class HostSecretHygieneTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory("lyndrix-secrets");

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public async Task No_secret_value_ever_reaches_a_log()
    {
        const string masterKey = "Hygiene-Master-Key-7f3a9c";
        const string wrongKey = "Hygiene-Wrong-Key-0b1d2e";
        const string pluginSecret = "PLUGIN-SECRET-VALUE-5e6f";
        const string coreSecret = "CORE-SECRET-VALUE-a1b2";
        var env = HostEnvironment(_dir.Path, masterKey);
        var logText = new List<string>();

        await using (var host = await HostHarness.StartAsync(env))
        {
            await host.Events.WaitFor(CoreTopics.VaultReadyForData);
            await host.Events.WaitFor(CoreTopics.VaultOpened);
            var scopes = host.Get<IModuleSecretScopeFactory>();
            await scopes.For(new ModuleManifest { Id = "hygiene.plugin", Name = "h", Version = "1.0.0" }).SetAsync("api_token", pluginSecret, CancellationToken.None);
            await scopes.For(new ModuleManifest { Id = "hygiene.core", Name = "h", Version = "1.0.0", Type = ModuleType.Core })
                .SetAsync("password", coreSecret, CancellationToken.None);
            logText.Add(host.Logs.AllText);
        }

        // Restart with the wrong key in the environment, then unseal over HTTP with the right one.
        var wrongEnv = HostEnvironment(_dir.Path, wrongKey);
        await using (var host = await HostHarness.StartAsync(wrongEnv))
        {
            await host.Events.WaitFor(CoreTopics.VaultUnsealFailed);
            Assert.That((await host.PostKeyAsync("unseal", masterKey)).Status, Is.EqualTo(202));
            await host.Events.WaitFor(CoreTopics.VaultReadyForData);
            var scope = host.Get<IModuleSecretScopeFactory>().For(new ModuleManifest { Id = "hygiene.plugin", Name = "h", Version = "1.0.0" });
            Assert.That(await scope.GetAsync("api_token", CancellationToken.None), Is.EqualTo(pluginSecret));
            logText.Add(host.Logs.AllText);
        }

        var material = await new VaultKeyFile(Path.Combine(env["SECURITY_DIR"], VaultKeyFile.FileName), FastArgon).ReadAsync(masterKey, CancellationToken.None);
        var dataKey = Convert.FromBase64String(material.RootToken);
        foreach (var file in Directory.GetFiles(env["LOGS_DIR"], "*", SearchOption.AllDirectories))
        {
            logText.Add(await File.ReadAllTextAsync(file));
        }

        var all = string.Join("\n", logText);
        Assert.Multiple(() =>
        {
            Assert.That(all, Does.Contain("EVENT vault:ready_for_data"), "the logs were captured");
            Assert.That(Directory.GetFiles(env["LOGS_DIR"], "*", SearchOption.AllDirectories), Is.Not.Empty, "the log files were scanned");
            foreach (var (name, secret) in new[]
                     {
                         ("master key", masterKey), ("wrong key", wrongKey), ("plugin secret", pluginSecret), ("core secret", coreSecret),
                         ("data key (base64)", material.RootToken), ("data key (hex)", Convert.ToHexString(dataKey)),
                         ("data key (hex, lower)", Convert.ToHexStringLower(dataKey)),
                     })
            {
                Assert.That(all, Does.Not.Contain(secret), name);
            }
        });
    }
}
