using System.Runtime.Versioning;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Modules.Isolation;
using Lyndrix.Core.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Tests.Modules.Isolation;

/// <summary>
/// An isolated plugin of another account starts whatever the host finds where its execute-only copy of the apphost goes
/// (<see cref="ChildExecutable"/>), in a copy of the real host's folder: without an apphost, as before, with one warning; with a
/// link planted at the copy's name, from a fresh copy, the link's target untouched.
/// </summary>
[TestFixture]
[NonParallelizable]
[SupportedOSPlatform("linux")]
public sealed class ChildExecutableHostTests
{
    private TempDirectory _dir = null!;
    private string _hostDll = null!;
    private string _copy = null!;

    [SetUp]
    public async Task SetUp()
    {
        await TestPluginAccount.EnsureAsync();
        await PluginFixtures.EnsureBuiltAsync();
        _dir = new TempDirectory("lyndrix-childexe-host");
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0b111_101_101);
        PluginFixtures.CopyDirectory(Path.GetDirectoryName(HostProcess.Executable)!, _dir.Sub("host"));
        _hostDll = Path.Combine(_dir.Path, "host", Path.GetFileName(HostProcess.Executable));
        _copy = Path.Combine(_dir.Path, "host", ChildExecutable.FileName);
        File.Delete(_copy);
    }

    [TearDown]
    public void TearDown() => _dir?.Dispose();

    private PluginHarness Harness()
    {
        var host = new PluginHarness().Isolated(spares: 0);
        host.Isolation = host.Isolation! with { Command = ["dotnet", _hostDll] };
        host.Config.Set("LYNDRIX_PLUGIN_USER", TestPluginAccount.Name);
        host.AddProbe("p", ProbeManifest.Create("test.p"));
        return host;
    }

    /// <summary>Starts the plugin (it must become active); its process id.</summary>
    private static async Task<int> StartAsync(PluginHarness host)
    {
        await host.Runtime.StartAllAsync(CancellationToken.None);
        var info = host.Runtime.Get("test.p")!;
        Assert.That(info.State, Is.EqualTo(PluginState.Active), info.Reason + "\n" + host.Logs.AllText);
        return info.ProcessId!.Value;
    }

    [Test]
    public async Task Without_an_apphost_the_plugin_starts_as_before_and_one_warning_says_its_process_is_dumpable_at_first()
    {
        File.Delete(Path.ChangeExtension(_hostDll, null));
        await using var host = Harness();
        var pid = await StartAsync(host);
        Assert.That(Path.GetFileName(new FileInfo($"/proc/{pid}/exe").LinkTarget), Is.EqualTo("dotnet"), "started as 'dotnet lyndrix.dll'");
        Assert.That(host.Logs.Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message),
            Has.One.Contain("dumpable for its first moments").And.Contain("there is no apphost"));
        Assert.That(File.Exists(_copy), Is.False);
    }

    /// <summary>What the README promises an operator whose host sits where the plugin account cannot reach: the plugin fails
    /// naming the folder to open, and no process runs.</summary>
    [Test]
    public async Task A_host_folder_the_account_cannot_pass_through_fails_the_plugin_naming_that_folder()
    {
        var folder = Path.GetDirectoryName(_hostDll)!;
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await using var host = Harness();
        await host.Runtime.StartAllAsync(CancellationToken.None);
        var info = host.Runtime.Get("test.p")!;
        Assert.Multiple(() =>
        {
            Assert.That(info.State, Is.EqualTo(PluginState.Failed), host.Logs.AllText);
            Assert.That(info.Reason, Does.StartWith($"Could not start the plugin's process as '{TestPluginAccount.Name}': ")
                .And.EndWith($"; {folder} is closed to others (chmod o+x it, or move the files)."));
            Assert.That(PluginChildren.Of(Environment.ProcessId), Is.Empty, "no process runs for it");
        });
    }

    [Test]
    public async Task A_link_planted_at_the_copy_s_name_is_replaced_and_the_plugin_starts_from_the_copy()
    {
        var precious = _dir.File("precious");
        File.WriteAllText(precious, "keep me");
        File.CreateSymbolicLink(_copy, precious);
        await using var host = Harness();
        var pid = await StartAsync(host);
        Assert.That(new FileInfo($"/proc/{pid}/exe").LinkTarget, Is.EqualTo(_copy));
        Assert.That(new FileInfo(_copy).LinkTarget, Is.Null, "a file now, not the link");
        Assert.That(File.ReadAllText(precious), Is.EqualTo("keep me"), "the link was not followed");
        Assert.That(host.Logs.Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message), Has.One.Contain("Replaced " + _copy));
    }
}
