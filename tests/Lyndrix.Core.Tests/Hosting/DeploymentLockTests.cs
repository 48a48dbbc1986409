using System.Text.Json;
using Lyndrix.Core.Hosting;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Hosting;

/// <summary>The deployment lock between hosts and restores (file locks are per open file, so one process can play both sides).</summary>
public sealed class DeploymentLockTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory("lyndrix-deployment-lock");

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private static DeploymentHolder Holder(string role, string instance) => DeploymentHolder.Current(role, instance, TimeProvider.System);

    [Test]
    public void Hosts_share_the_lock_and_a_restore_is_refused_naming_each_of_them()
    {
        using var first = DeploymentLock.ForHost(_dir.Path, Holder(DeploymentHolder.HostRole, "node-a:8081"));
        using var second = DeploymentLock.ForHost(_dir.Path, Holder(DeploymentHolder.HostRole, "node-b:8082"));
        var refused = Assert.Throws<DeploymentBusyException>(() => DeploymentLock.ForRestore(_dir.Path, Holder(DeploymentHolder.RestoreRole, "cli")))!;
        Assert.Multiple(() =>
        {
            Assert.That(refused.Message, Does.Contain("A Lyndrix host is running").And.Contain("'node-a:8081'").And.Contain("'node-b:8082'"));
            Assert.That(refused.Message, Does.Contain($"pid {Environment.ProcessId}").And.Contain("Stop it first").And.Contain("Nothing was changed"));
            Assert.That(refused.Holders.Select(h => h.Instance), Is.EquivalentTo(new[] { "node-a:8081", "node-b:8082" }));
        });
    }

    [Test]
    public void A_restore_excludes_hosts_and_other_restores_until_it_ends()
    {
        using (DeploymentLock.ForRestore(_dir.Path, Holder(DeploymentHolder.RestoreRole, "cli")))
        {
            var host = Assert.Throws<DeploymentBusyException>(() => DeploymentLock.ForHost(_dir.Path, Holder(DeploymentHolder.HostRole, "node-a:8081")))!;
            Assert.That(host.Message, Does.Contain("A restore is running").And.Contain("restore 'cli'").And.Contain("Start the host again when"));
            var other = Assert.Throws<DeploymentBusyException>(() => DeploymentLock.ForRestore(_dir.Path, Holder(DeploymentHolder.RestoreRole, "cli-2")))!;
            Assert.That(other.Message, Does.Contain("Another restore is running"));
        }

        using var after = DeploymentLock.ForHost(_dir.Path, Holder(DeploymentHolder.HostRole, "node-a:8081"));
        Assert.That(Directory.GetFiles(DeploymentLock.FolderIn(_dir.Path), "*.json").Select(Path.GetFileName), Is.EqualTo(new[] { $"host-{Environment.ProcessId}-1.json" }),
            "the restore removed its description");
    }

    [Test]
    public void A_description_left_by_a_crashed_process_names_nobody_and_is_removed()
    {
        var folder = DeploymentLock.FolderIn(_dir.Path);
        Directory.CreateDirectory(folder);
        // A pid above the kernel's limit (pid_max is at most 2^22) cannot be running.
        var crashed = new DeploymentHolder(DeploymentHolder.HostRole, "crashed:8081", 9_999_999, Environment.MachineName, DateTimeOffset.UtcNow.AddDays(-1));
        var stale = Path.Combine(folder, "host-9999999-1.json");
        File.WriteAllBytes(stale, JsonSerializer.SerializeToUtf8Bytes(crashed));
        Assert.That(DeploymentLock.Holders(_dir.Path), Is.Empty);

        using (DeploymentLock.ForRestore(_dir.Path, Holder(DeploymentHolder.RestoreRole, "cli")))
        {
            Assert.That(File.Exists(stale), Is.False);
        }
    }
}
