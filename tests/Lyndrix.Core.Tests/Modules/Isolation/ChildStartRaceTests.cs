using System.Runtime.Versioning;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Modules.Isolation;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Modules.Isolation;

/// <summary>
/// A new plugin process is out of reach of the other processes of its account from its first instruction, not only once .NET
/// has made it non-dumpable: the Attacker, isolated under the plugin account, lists /proc as fast as it can and goes for every
/// new <c>plugin-host</c> process of its uid the moment it appears (<c>/proc/&lt;pid&gt;/mem</c>, <c>environ</c>), while the host
/// starts new ones (a plugin enabled and disabled, the spare refilled each time). Refused counts only as EACCES/EPERM; a
/// process the Attacker never saw fails the test.
/// </summary>
[TestFixture]
[NonParallelizable]
[SupportedOSPlatform("linux")]
public sealed class ChildStartRaceTests
{
    private const int Cycles = 24;

    [Test]
    public async Task No_process_of_the_plugin_account_opens_a_new_plugin_process_memory_or_environment_in_its_first_moments()
    {
        await TestPluginAccount.EnsureAsync();
        await PluginFixtures.EnsureBuiltAsync();
        using var dir = new TempDirectory("lyndrix-race");
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_101_101);
        var hostDll = TestPluginAccount.ReachableExecutable(dir.Path);
        var outDir = dir.Sub("out");
        File.SetUnixFileMode(outDir, (UnixFileMode)0b111_111_111);
        var (report, stop) = (Path.Combine(outDir, "race.txt"), Path.Combine(outDir, "stop"));

        await using var host = new PluginHarness().Isolated();
        host.Isolation = host.Isolation! with { Command = ["dotnet", hostDll] };
        host.Config.Set("LYNDRIX_PLUGIN_USER", TestPluginAccount.Name);
        host.Config.Set("LYNDRIX_PLUGIN_TEST_ATTACKER_RACE_REPORT", report);
        host.Config.Set("LYNDRIX_PLUGIN_TEST_ATTACKER_RACE_STOP", stop);
        host.AddPublished("Attacker", "attacker");
        host.AddProbe("cycled", ProbeManifest.Create("test.cycled"));
        await host.Runtime.StartAllAsync(CancellationToken.None);
        Assert.That(host.Runtime.Get("test.attacker")!.State, Is.EqualTo(PluginState.Active), host.Logs.AllText);
        await Eventually.True(() => File.Exists(report + ".ready"), "the attacker watches /proc\n" + host.Logs.AllText, 30);
        await host.Runtime.DisableAsync("test.cycled", CancellationToken.None);

        var started = new List<int>();
        for (var i = 0; i < Cycles; i++)
        {
            var on = await host.Runtime.EnableAsync("test.cycled", CancellationToken.None);
            Assert.That(on.State, Is.EqualTo(PluginState.Active), $"cycle {i}: {on.Reason}\n{host.Logs.AllText}");
            started.Add(on.ProcessId!.Value);
            await host.Runtime.DisableAsync("test.cycled", CancellationToken.None);
        }

        await Eventually.True(() => host.Runtime.SpareProcessIds().Count == 1, "the last spare is ready", 60);
        var spare = host.Runtime.SpareProcessIds().Single();
        started.Add(spare);
        var exe = new FileInfo($"/proc/{spare}/exe").LinkTarget;
        var exeStatus = exe is null ? null : FileStatus.Of(exe, followLinks: false);
        await Task.Delay(TimeSpan.FromSeconds(2)); // the attacker's last attempts on the last spare
        File.WriteAllText(stop, "");
        await Eventually.True(() => File.Exists(report), "the attacker wrote what it got", 30);
        var lines = File.ReadAllLines(report);
        var summary = lines.Single(l => l.StartsWith("RACE: ", StringComparison.Ordinal));
        TestContext.Out.WriteLine(string.Join("\n", lines));
        // Only this host's processes count: the account may be shared with other hosts on the machine (other test runs).
        var children = lines.Where(l => l.StartsWith("CHILD ", StringComparison.Ordinal))
            .ToDictionary(l => int.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)).Where(c => started.Contains(c.Key)).ToList();
        var text = string.Join("\n", lines);
        Assert.Multiple(() =>
        {
            // The first process taken was started before the attacker watched; every later one it must have seen.
            Assert.That(started.Skip(1).Where(pid => children.All(c => c.Key != pid)), Is.Empty, "every process started while the attacker watched was attacked\n" + text);
            foreach (var (pid, line) in children)
            {
                Assert.That(line, Does.Contain(" mem=refused "), $"{pid}: its memory was never opened\n{summary}");
                Assert.That(line, Does.Contain(" environ=refused "), $"{pid}: its environment was never read\n{summary}");
                Assert.That(line, Does.Contain(" environ_owner=0 "), $"{pid}: its /proc entries were root's when first seen\n{summary}");
            }

            // How: the process runs the root-owned, execute-only copy of the apphost beside lyndrix.dll.
            Assert.That(exe, Is.EqualTo(Path.Combine(Path.GetDirectoryName(hostDll)!, ChildExecutable.FileName)), "the spare runs the copy");
            Assert.That(exeStatus, Is.EqualTo(exeStatus is { } s ? s with { Owner = 0, IsRegularFile = true, Mode = (UnixFileMode)0b111_001_001 } : null).And.Not.Null,
                "the copy is a root-owned regular file, mode 0711");
        });
    }
}
