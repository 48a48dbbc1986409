using Lyndrix.Core.Modules;
using Lyndrix.Core.Modules.Isolation;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Modules.Isolation;

/// <summary>
/// <c>LYNDRIX_PLUGIN_USER</c> fails closed: an account that is root, or that does not exist, fails the plugin with the setting
/// named and why, before any process is started for it (the plugin never runs with more than the operator asked for).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PluginAccountSettingTests
{
    [TestCase("root", "that account is root")]
    [TestCase("lyndrix-no-such-account", "no such account on this machine")]
    public async Task An_account_that_is_root_or_missing_fails_the_plugin_before_any_process_starts(string account, string why)
    {
        if (!PluginUser.HostIsRoot)
        {
            Requirement.Missing("Running a plugin as another account needs a root host; CI runs as root.");
        }

        await PluginFixtures.EnsureBuiltAsync();
        await using var host = new PluginHarness().Isolated(spares: 0);
        host.Config.Set("LYNDRIX_PLUGIN_USER", account);
        host.AddProbe("p", ProbeManifest.Create("test.account"));

        await host.Runtime.StartAllAsync(CancellationToken.None);

        var plugin = host.Runtime.Get("test.account")!;
        Assert.Multiple(() =>
        {
            Assert.That(plugin.State, Is.EqualTo(PluginState.Failed));
            Assert.That(plugin.Reason, Does.StartWith($"LYNDRIX_PLUGIN_USER={account}: ").And.Contain(why));
            Assert.That(plugin.ProcessId, Is.Null);
            Assert.That(PluginChildren.Of(Environment.ProcessId), Is.Empty, "no process was started for it");
        });
    }
}
