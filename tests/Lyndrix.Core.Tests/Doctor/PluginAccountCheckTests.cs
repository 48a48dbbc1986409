using Lyndrix.Core.Doctor;
using Lyndrix.Core.Tests.Modules;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Doctor;

/// <summary>The doctor's <c>plugin_accounts</c> check against real plugin processes: an isolated plugin started by this
/// process runs under its account (as without <c>LYNDRIX_PLUGIN_USER</c>) and is named with what it can reach; in-process
/// plugins are no such case.</summary>
[TestFixture]
[NonParallelizable]
public sealed class PluginAccountCheckTests
{
    [Test]
    public async Task An_isolated_plugin_under_the_hosts_own_account_is_a_warning_naming_it_and_what_it_reaches()
    {
        await PluginFixtures.EnsureBuiltAsync();
        await using var host = new PluginHarness().Isolated();
        host.AddProbe("shared", ProbeManifest.Create("test.shared"));
        await host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(host.Runtime.Get("test.shared")!.ProcessId, Is.Not.Null, "it runs in a process of its own");

        var listening = PluginAccountCheck.Run(host.Runtime.List(), diagnosticsListening: true);
        var quiet = PluginAccountCheck.Run(host.Runtime.List(), diagnosticsListening: false);
        var actual = PluginAccountCheck.Run(host.Runtime.List());
        var diagnosticsOn = Environment.GetEnvironmentVariable("DOTNET_EnableDiagnostics") != "0"
            && Environment.GetEnvironmentVariable("DOTNET_EnableDiagnostics_IPC") != "0";
        Assert.Multiple(() =>
        {
            Assert.That(listening.Status, Is.EqualTo(DoctorCheck.Warn));
            Assert.That(listening.Message, Does.Contain("(test.shared)").And.Contain("read every file the host can").And.Contain("diagnostics socket"));
            Assert.That(listening.Fix, Does.Contain("LYNDRIX_PLUGIN_USER").And.Contain("DOTNET_EnableDiagnostics=0"));
            Assert.That(quiet.Status, Is.EqualTo(DoctorCheck.Warn));
            Assert.That(quiet.Message + quiet.Fix, Does.Not.Contain("diagnostics"));
            Assert.That(actual.Message.Contains("diagnostics socket", StringComparison.Ordinal), Is.EqualTo(diagnosticsOn),
                "this process's own diagnostics socket is found exactly when .NET opened it");
        });
    }

    [Test]
    public async Task In_process_plugins_pass()
    {
        await PluginFixtures.EnsureBuiltAsync();
        await using var host = new PluginHarness();
        host.AddProbe("inside", ProbeManifest.Create("test.inside"));
        await host.Runtime.StartAllAsync(CancellationToken.None);

        var check = PluginAccountCheck.Run(host.Runtime.List(), diagnosticsListening: true);
        Assert.That(check.Status, Is.EqualTo(DoctorCheck.Ok), check.Message);
        Assert.That(check.Message, Is.EqualTo("No plugin runs in a process of its own."));
    }
}
