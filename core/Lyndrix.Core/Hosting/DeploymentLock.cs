using System.Text.Json;
using Lyndrix.Core.Secrets.KeyFile;

namespace Lyndrix.Core.Hosting;

/// <summary>
/// Who uses a deployment on this machine, so a restore never runs under a live host. Every host holds a shared lock on
/// <c>SECURITY_DIR/hosts/deployment.lock</c> for its lifetime (several hosts of one deployment may share it); a restore takes
/// it exclusively, so a restore refuses to start while a host runs and a host refuses to start while a restore runs. Each
/// holder describes itself in a <c>ROLE-PID-N.json</c> beside the lock, which a refused caller reads to name what to stop.
/// The locks are advisory file locks (FileShare: flock on Unix) that the kernel releases when a process dies, so a crashed
/// host never blocks a restore; its leftover description is ignored and removed. SECURITY_DIR is the deployment's identity
/// on a machine (its key file, the embedded store); hosts on other machines of a cluster are not seen.
/// </summary>
internal sealed class DeploymentLock : IDisposable
{
    public const string FolderName = "hosts";
    public const string LockFileName = "deployment.lock";

    private readonly FileStream _lock;
    private readonly string _record;

    private DeploymentLock(FileStream lockFile, string record)
    {
        _lock = lockFile;
        _record = record;
    }

    public static string FolderIn(string securityDir) => Path.Combine(securityDir, FolderName);

    /// <summary>A host's lock: shared with the other hosts of the deployment, refused while a restore holds it.</summary>
    /// <exception cref="DeploymentBusyException">A restore runs.</exception>
    /// <exception cref="IOException">The folder cannot be created.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder cannot be created.</exception>
    public static DeploymentLock ForHost(string securityDir, DeploymentHolder self) => Acquire(securityDir, self, exclusive: false);

    /// <summary>A restore's lock: refused while any host (or another restore) holds it.</summary>
    /// <exception cref="DeploymentBusyException">A host or another restore runs.</exception>
    public static DeploymentLock ForRestore(string securityDir, DeploymentHolder self) => Acquire(securityDir, self, exclusive: true);

    /// <summary>The holders described in <paramref name="securityDir"/> that may still run.</summary>
    public static IReadOnlyList<DeploymentHolder> Holders(string securityDir)
    {
        var folder = FolderIn(securityDir);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        return [.. Records(folder).Select(r => r.Holder).Where(h => h.MayBeAlive)];
    }

    /// <summary>The holders' descriptions in the folder, by file; one being written or removed right now, or not ours, is skipped.</summary>
    private static IEnumerable<(string File, DeploymentHolder Holder)> Records(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            DeploymentHolder? holder;
            try
            {
                holder = JsonSerializer.Deserialize<DeploymentHolder>(File.ReadAllBytes(file));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
            {
                continue;
            }

            if (holder is not null)
            {
                yield return (file, holder);
            }
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_record);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A description left behind names a process that is gone; the next holder removes it.
        }

        _lock.Dispose();
    }

    private static DeploymentLock Acquire(string securityDir, DeploymentHolder self, bool exclusive)
    {
        var folder = FolderIn(securityDir);
        AtomicFileWriter.EnsureDirectory(folder);
        var path = Path.Combine(folder, LockFileName);
        var options = new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            // Read-only with sharing takes a shared lock; FileShare.None takes an exclusive one.
            Access = exclusive ? FileAccess.ReadWrite : FileAccess.Read,
            Share = exclusive ? FileShare.None : FileShare.ReadWrite,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        FileStream lockFile;
        try
        {
            lockFile = new FileStream(path, options);
        }
        catch (IOException ex) when (File.Exists(path))
        {
            throw Busy(securityDir, path, exclusive, ex);
        }

        try
        {
            RemoveLeftovers(folder);
            var record = NewRecordPath(folder, self);
            File.WriteAllBytes(record, JsonSerializer.SerializeToUtf8Bytes(self));
            return new DeploymentLock(lockFile, record);
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    private static string NewRecordPath(string folder, DeploymentHolder self)
    {
        // Several in one process (tests run hosts side by side): the first free number.
        for (var n = 1; ; n++)
        {
            var path = Path.Combine(folder, $"{self.Role}-{self.ProcessId}-{n}.json");
            if (!File.Exists(path))
            {
                return path;
            }
        }
    }

    private static void RemoveLeftovers(string folder)
    {
        foreach (var (file, _) in Records(folder).Where(r => !r.Holder.MayBeAlive).ToList())
        {
            try
            {
                File.Delete(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static DeploymentBusyException Busy(string securityDir, string path, bool exclusive, Exception inner)
    {
        var holders = Holders(securityDir);
        var hosts = holders.Where(h => h.Role == DeploymentHolder.HostRole).ToList();
        var restores = holders.Where(h => h.Role == DeploymentHolder.RestoreRole).ToList();
        string message;
        if (!exclusive)
        {
            message = $"A restore is running on this deployment ({Names(restores, path)}): the host does not start under it, as the " +
                      "restore replaces the data the host would open. Start the host again when the restore has finished.";
        }
        else if (hosts.Count > 0)
        {
            var pids = string.Join(" ", hosts.Select(h => h.ProcessId));
            message = $"A Lyndrix host is running on this deployment: {Names(hosts, path)}. A restore under a running host would leave it serving " +
                      "(and writing) the state it holds in memory over the restored one. Stop it first - Ctrl+C in its console, " +
                      $"'kill {pids}', or your service manager (e.g. 'systemctl stop lyndrix') - then run the restore again. Nothing was changed.";
        }
        else if (restores.Count > 0)
        {
            message = $"Another restore is running on this deployment ({Names(restores, path)}); wait for it to finish. Nothing was changed.";
        }
        else
        {
            message = $"Another process holds {path}: a Lyndrix host or a restore of this deployment, just starting or stopping. Stop the host " +
                      "(or wait for the restore), then run the restore again. Nothing was changed.";
        }

        return new DeploymentBusyException(message, holders, inner);
    }

    private static string Names(IReadOnlyList<DeploymentHolder> holders, string path) =>
        holders.Count > 0 ? string.Join("; ", holders.Select(h => h.Describe())) : $"a process holds {path}";
}
