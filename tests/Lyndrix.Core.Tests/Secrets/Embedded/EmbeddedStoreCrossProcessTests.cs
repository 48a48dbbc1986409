using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Embedded;
using Lyndrix.Core.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Lyndrix.Core.Tests.Secrets.Embedded;

/// <summary>
/// The embedded store shared by real processes on one SECURITY_DIR (Lyndrix.SecretStoreProbe, a console over the same
/// backend): writers coordinate through SQLite's locks and check-and-set, and a process killed with SIGKILL in the middle of
/// writing never damages what was committed.
/// </summary>
[NonParallelizable]
public class EmbeddedStoreCrossProcessTests
{
    private static readonly string ProbePath = typeof(EmbeddedStoreCrossProcessTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "SecretStoreProbe").Value!;

    private TempDirectory _dir = null!;
    private KeyMaterial _material = null!;

    [SetUp]
    public async Task SetUp()
    {
        _dir = new TempDirectory("lyndrix-xproc");
        EmbeddedSecretBackend backend;
        (backend, _material) = await EmbeddedStores.OpenAsync(_dir.Path);
        backend.Dispose();
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private Process StartProbe(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ProbePath);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start)!;
        process.StandardInput.WriteLine(_material.RootToken);
        process.StandardInput.Flush();
        return process;
    }

    private static async Task<string> ReadLineAsync(Process process, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var line = await process.StandardOutput.ReadLineAsync(cts.Token);
        return line ?? throw new InvalidOperationException($"The probe ended early: {await process.StandardError.ReadToEndAsync(CancellationToken.None)}");
    }

    [Test]
    public async Task Two_processes_incrementing_one_secret_through_check_and_set_lose_no_update()
    {
        const int PerProcess = 150;
        var probes = new[] { StartProbe("increment", _dir.Path, "plugins/shared", $"{PerProcess}", "a"), StartProbe("increment", _dir.Path, "plugins/shared", $"{PerProcess}", "b") };
        try
        {
            foreach (var p in probes)
            {
                Assert.That(await ReadLineAsync(p, TimeSpan.FromSeconds(60)), Is.EqualTo("ready"));
            }

            // Both start together, and this process writes too, so three writers race on one secret.
            foreach (var p in probes)
            {
                await p.StandardInput.WriteLineAsync("go");
                await p.StandardInput.FlushAsync();
            }

            using var backend = await EmbeddedStores.ReopenAsync(_dir.Path, _material);
            var mine = 0;
            for (var i = 0; i < 50; i++)
            {
                while (true)
                {
                    var current = await backend.Store.ReadAsync("plugins/shared", CancellationToken.None);
                    var data = current.Data is null ? new Dictionary<string, string>() : new Dictionary<string, string>(current.Data);
                    data["counter"] = (int.Parse(data.GetValueOrDefault("counter", "0"), CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture);
                    data["host"] = (++mine).ToString(CultureInfo.InvariantCulture);
                    try
                    {
                        await backend.Store.WriteAsync("plugins/shared", data, current.State == KvReadState.NotFound ? 0 : current.Version, CancellationToken.None);
                        break;
                    }
                    catch (KvCasMismatchException)
                    {
                        mine--;
                    }
                }
            }

            var outputs = new List<string>();
            foreach (var p in probes)
            {
                outputs.Add(await ReadLineAsync(p, TimeSpan.FromMinutes(3)));
                await p.WaitForExitAsync();
            }

            var final = await backend.Store.ReadAsync("plugins/shared", CancellationToken.None);
            var retries = outputs.Sum(o => int.Parse(o.Split('=')[1], CultureInfo.InvariantCulture));
            TestContext.Out.WriteLine($"probe outputs: {string.Join("; ", outputs)}");
            Assert.Multiple(() =>
            {
                Assert.That(probes.Select(p => p.ExitCode), Is.All.EqualTo(0));
                Assert.That(final.Data!["counter"], Is.EqualTo($"{2 * PerProcess + 50}"), "0 lost updates");
                Assert.That((final.Data["a"], final.Data["b"], final.Data["host"]), Is.EqualTo(($"{PerProcess}", $"{PerProcess}", "50")));
                Assert.That(final.Version, Is.EqualTo(2 * PerProcess + 50), "every successful write is exactly one version");
                Assert.That(EmbeddedStoreIntegrity.Check(EmbeddedStorePaths.In(_dir.Path)), Is.EqualTo(EmbeddedStoreState.Ready),
                    "the mark never ran ahead of the store");
            });
            Warn.If(retries == 0, "the writers never collided; the check-and-set path was not exercised in this run");
        }
        finally
        {
            foreach (var p in probes)
            {
                if (!p.HasExited)
                {
                    p.Kill();
                }

                p.Dispose();
            }
        }
    }

    [Test]
    public async Task A_writer_killed_with_SIGKILL_mid_write_leaves_every_committed_version_readable()
    {
        var random = new Random(1604);
        var lastCommitted = 0;
        for (var round = 1; round <= 5; round++)
        {
            using var probe = StartProbe("write-loop", _dir.Path, "plugins/big", $"{200_000 + random.Next(100_000)}");
            var target = lastCommitted + 3 + random.Next(5);
            while (lastCommitted < target)
            {
                var line = await ReadLineAsync(probe, TimeSpan.FromSeconds(60));
                lastCommitted = int.Parse(line["committed ".Length..], CultureInfo.InvariantCulture);
            }

            // The probe writes back to back (and may be a few commits ahead of what it printed); kill it within some write.
            await Task.Delay(random.Next(0, 15));
            probe.Kill();
            await probe.WaitForExitAsync();

            Assert.That(EmbeddedStoreIntegrity.Check(EmbeddedStorePaths.In(_dir.Path)), Is.EqualTo(EmbeddedStoreState.Ready), $"round {round}");
            using var backend = await EmbeddedStores.ReopenAsync(_dir.Path, _material);
            var latest = await backend.Store.ReadAsync("plugins/big", CancellationToken.None);
            var previous = await backend.History.ReadVersionAsync("plugins/big", latest.Version - 1, CancellationToken.None);
            Assert.Multiple(() =>
            {
                Assert.That(latest.State, Is.EqualTo(KvReadState.Found), $"round {round}");
                Assert.That(latest.Version, Is.GreaterThanOrEqualTo(lastCommitted), "every commit the probe reported is there");
                Assert.That(latest.Data!["value"], Does.Match(@"^\d+:x{200000,}$"), "the newest version is whole");
                Assert.That(previous.State, Is.EqualTo(KvReadState.Found), "the previous version is readable too");
            });
            lastCommitted = latest.Version;
        }

        await using var check = new SqliteConnection($"Data Source={EmbeddedStorePaths.In(_dir.Path).Database};Pooling=False");
        await check.OpenAsync();
        await using var command = check.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo("ok"));
    }
}
