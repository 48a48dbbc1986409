using System.Diagnostics;
using Lyndrix.Core.Doctor;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Tests.Modules;
using Lyndrix.Core.Tests.Modules.Isolation;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Doctor;

/// <summary>The doctor's <c>plugin_accounts</c> check against real plugin processes: an isolated plugin started by this
/// process runs under its account (as without <c>LYNDRIX_PLUGIN_USER</c>) and is named with what it can reach; one under the
/// test account (root host) passes with that account named; in-process plugins are no such case, and a process whose account
/// cannot be read is no pass.</summary>
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
    public async Task An_isolated_plugin_under_an_account_of_its_own_passes_naming_that_account()
    {
        var uid = await TestPluginAccount.EnsureAsync();
        await using var host = await IsolatedHostAsync();
        host.Config.Set("LYNDRIX_PLUGIN_USER", TestPluginAccount.Name);
        host.AddProbe("own", ProbeManifest.Create("test.own"));
        await host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(host.Runtime.Get("test.own")!.State, Is.EqualTo(PluginState.Active), host.Runtime.Get("test.own")!.Reason);

        var check = PluginAccountCheck.Run(host.Runtime.List(), diagnosticsListening: true);
        Assert.That(check.Status, Is.EqualTo(DoctorCheck.Ok), check.Message);
        Assert.That(check.Message, Is.EqualTo($"1 isolated plugin(s), each under an account other than the host's (uid 0): test.own (uid {uid})."));
    }

    /// <summary>Every plugin process is non-dumpable, so the files under its <c>/proc/&lt;pid&gt;</c> (its status included)
    /// belong to root whatever its account: a check that took their owner for the account would take a plugin under the host's
    /// account for one of its own (a host not running as root), or, as here, one of its own for the host's. The check reads the
    /// real uid out of the status.</summary>
    [Test]
    public async Task The_check_reads_the_real_account_of_a_non_dumpable_plugin_process_not_the_owner_of_its_proc_entries()
    {
        var uid = await TestPluginAccount.EnsureAsync();
        await using var host = await IsolatedHostAsync();
        host.Config.Set(Lyndrix.Core.Modules.ModuleSettings.VariableName("test.own", "USER"), TestPluginAccount.Name);
        host.AddProbe("own", ProbeManifest.Create("test.own"));
        host.AddProbe("shared", ProbeManifest.Create("test.shared"));
        await host.Runtime.StartAllAsync(CancellationToken.None);
        var own = host.Runtime.Get("test.own")!;
        var shared = host.Runtime.Get("test.shared")!;
        Assert.That(new[] { own.State, shared.State }, Is.All.EqualTo(PluginState.Active), own.Reason + shared.Reason);

        string[] owners = [await OwnerAsync($"/proc/{own.ProcessId}/status"), await OwnerAsync($"/proc/{shared.ProcessId}/status")];
        Assert.That(owners, Is.All.EqualTo("0"), "both plugins' /proc/<pid>/status belong to root (not dumpable): their owner tells the accounts apart no more");
        var check = PluginAccountCheck.Run(host.Runtime.List(), diagnosticsListening: false);
        Assert.That(check.Status, Is.EqualTo(DoctorCheck.Warn));
        Assert.That(check.Message, Does.StartWith("1 isolated plugin(s) run under the host's own account (test.shared)").And.Not.Contain("test.own"),
            $"test.own runs as uid {uid}");
    }

    [Test]
    public async Task An_isolated_plugin_whose_account_cannot_be_read_is_no_pass()
    {
        using var ended = Process.Start("true")!;
        await ended.WaitForExitAsync();
        PluginInfo[] plugins = [new() { Id = "test.gone", State = PluginState.Active, Origin = "plugins", Folder = "/nonexistent", Isolation = "process", ProcessId = ended.Id }];

        var check = PluginAccountCheck.Run(plugins, diagnosticsListening: false);
        Assert.That(check.Status, Is.EqualTo(DoctorCheck.Warn), check.Message);
        Assert.That(check.Message, Is.EqualTo("The account of 1 isolated plugin(s) could not be read from /proc/<pid>/status (test.gone): they may run under the host's own."));
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

    /// <summary>A runtime whose isolated plugins run a copy of <c>lyndrix</c> the test account can read; no spare.</summary>
    private static async Task<PluginHarness> IsolatedHostAsync()
    {
        await PluginFixtures.EnsureBuiltAsync();
        var host = new PluginHarness().Isolated(spares: 0);
        host.Isolation = host.Isolation! with { Command = ["dotnet", TestPluginAccount.ReachableExecutable(host.Root)] };
        return host;
    }

    /// <summary>The uid owning <paramref name="path"/>, as stat(1) gives it.</summary>
    private static async Task<string> OwnerAsync(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%u", path]) { RedirectStandardOutput = true })!;
        var owner = await stat.StandardOutput.ReadToEndAsync();
        await stat.WaitForExitAsync();
        return owner.Trim();
    }
}
