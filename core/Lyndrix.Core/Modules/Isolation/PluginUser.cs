using System.Runtime.InteropServices;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>
/// The unprivileged account an isolated plugin's process runs as (<c>LYNDRIX_PLUGIN_USER</c>, or
/// <c>LYNDRIX_PLUGIN_&lt;ID&gt;_USER</c>). Only a host running as root can switch; the account must exist and must not be
/// root. The plugin's working directory is handed to the account; everything else the host owns stays owner-only.
/// </summary>
internal sealed partial record PluginUser(string Name, uint Uid, uint Gid)
{
    public static bool HostIsRoot => OperatingSystem.IsLinux() && geteuid() == 0;

    /// <summary>Looks the account up; a clear <see cref="PluginLoadException"/> when the host cannot run a plugin as it.</summary>
    public static PluginUser Resolve(string name, string setting)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PluginLoadException($"{setting}={name}: running plugins as another account is supported on Linux only.");
        }

        if (!HostIsRoot)
        {
            throw new PluginLoadException(
                $"{setting}={name}: the host must run as root to start the plugin's process as '{name}' (it runs as uid {geteuid()}). " +
                "Run the host as root, or remove the setting and accept that the plugin's process runs as the host's own account.");
        }

        var entry = getpwnam(name);
        if (entry == IntPtr.Zero)
        {
            throw new PluginLoadException($"{setting}={name}: no such account on this machine (create it, e.g. 'useradd --system --no-create-home {name}').");
        }

        // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; ... }
        var uid = (uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size);
        var gid = (uint)Marshal.ReadInt32(entry, (2 * IntPtr.Size) + 4);
        if (uid == 0)
        {
            throw new PluginLoadException($"{setting}={name}: that account is root; name an unprivileged account.");
        }

        return new PluginUser(name, uid, gid);
    }

    /// <summary>Gives the account its own directory (owner-only, as the account).</summary>
    public void Own(string directory)
    {
        if (chown(directory, Uid, Gid) != 0)
        {
            throw new PluginLoadException($"Could not hand {directory} to '{Name}' (chown failed with errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>The first folder on the way to <paramref name="path"/> that others may not pass through (no o+x), if any:
    /// the likely reason the account could not start there. A hint only: group membership is not considered.</summary>
    public static string? FirstClosedFolder(string path)
    {
        for (var dir = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            try
            {
                if (!new DirectoryInfo(dir).UnixFileMode.HasFlag(UnixFileMode.OtherExecute))
                {
                    return dir;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return dir;
            }
        }

        return null;
    }

    [LibraryImport("libc")]
    private static partial uint geteuid();

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getpwnam(string name);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int chown(string path, uint owner, uint group);
}
