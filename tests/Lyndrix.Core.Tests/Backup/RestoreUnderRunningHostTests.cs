using Lyndrix.Core.Hosting;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Tests.Backup.Support;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Backup;

/// <summary>A restore never runs under a live host: the real <c>lyndrix</c> executable holds the deployment lock while it runs,
/// a restore then exits 9 naming it, and goes through once the host is gone (even killed); a host does not start while a
/// restore runs.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class RestoreUnderRunningHostTests : IDisposable
{
    private readonly TempDirectory _dir = new("lyndrix-restore-host");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private static Dictionary<string, string> HostEnv(TestDeployment deployment) => new(deployment.Env)
    {
        ["LYNDRIX_INSTANCE_ID"] = "restore-test-host",
        ["LYNDRIX_BOOT_STEP_TIMEOUT"] = "60",
        ["LYNDRIX_ADMIN_PASSWORD"] = Lyndrix.Core.Tests.Secrets.Support.SecretTestSettings.AdminPassword,
        ["LYNDRIX_BOT_PASSWORD"] = "Restore-Test-B0t-Pw-7c1d",
    };

    [Test]
    public async Task A_restore_under_a_running_host_exits_9_naming_it_changes_nothing_and_goes_through_once_the_host_is_killed()
    {
        using var source = TestDeployment.Embedded(_dir.Path, "source");
        await source.SeedAsync();
        var archive = _dir.File("source.lbak");
        Assert.That((await source.CliAsync(null, "backup", "create", "--out", archive)).Code, Is.Zero);

        using var target = TestDeployment.Embedded(_dir.Path, "target");
        await target.SeedAsync(tag: "t", secrets: 3, rows: 2);
        int pid;
        await using (var host = HostProcess.Start(HostEnv(target), HostProcess.FreePort(), target.Root))
        {
            await host.WaitForBootAsync(TimeSpan.FromSeconds(90));
            pid = host.ProcessId;
            var before = await target.StateAsync();
            var refused = await target.CliAsync(null, "backup", "restore", archive, "--force");
            var after = await target.StateAsync();
            Assert.Multiple(() =>
            {
                Assert.That(refused.Code, Is.EqualTo(9), refused.Error);
                Assert.That(refused.Error, Does.Contain("A Lyndrix host is running on this deployment").And.Contain("host 'restore-test-host'"));
                Assert.That(refused.Error, Does.Contain($"pid {pid} ").And.Contain($"'kill {pid}'").And.Contain("Nothing was changed"));
                Assert.That(after.Secrets.Select(s => (s.Path, s.Version)), Is.EqualTo(before.Secrets.Select(s => (s.Path, s.Version))));
                Assert.That(Directory.Exists(Path.Combine(target.Root, "storage", "backups")), Is.False, "not even a safety copy was written");
            });

            // A crash, not a clean stop: the kernel releases the lock with the process; its description stays behind.
            host.Kill();
        }

        var restored = await target.CliAsync(null, "backup", "restore", archive, "--force");
        Assert.That(restored.Code, Is.Zero, restored.Error);
        Assert.That((await source.StateAsync()).DifferencesFrom(await target.StateAsync(), compareTableNames: false), Is.Empty);
    }

    [Test]
    public async Task A_host_started_while_a_restore_runs_exits_1_naming_the_restore_before_it_opens_anything()
    {
        using var target = TestDeployment.Embedded(_dir.Path, "target");
        var security = target.Env["SECURITY_DIR"];
        using (DeploymentLock.ForRestore(security, DeploymentHolder.Current(DeploymentHolder.RestoreRole, "restore-in-test", TimeProvider.System)))
        {
            await using var host = HostProcess.Start(HostEnv(target), HostProcess.FreePort(), target.Root);
            var exited = Assert.ThrowsAsync<InvalidOperationException>(() => host.WaitForBootAsync(TimeSpan.FromSeconds(90)))!;
            Assert.Multiple(() =>
            {
                Assert.That(exited.Message, Does.Contain("exited with 1"));
                Assert.That(exited.Message, Does.Contain("A restore is running on this deployment").And.Contain("restore 'restore-in-test'"));
                Assert.That(File.Exists(Path.Combine(security, VaultKeyFile.FileName)), Is.False, "the host initialized no secret store");
            });
        }
    }
}
