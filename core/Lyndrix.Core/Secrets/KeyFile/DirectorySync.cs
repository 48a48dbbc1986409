using System.Runtime.InteropServices;

namespace Lyndrix.Core.Secrets.KeyFile;

/// <summary>
/// fsync of a folder, so a rename inside it survives a power loss. .NET cannot open a folder as a file, hence libc.
/// Best effort: file systems that refuse it (and Windows, where renames are journaled) are skipped.
/// </summary>
internal static class DirectorySync
{
    public static bool TryFlush(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return false;
        }

        try
        {
            var path = System.Text.Encoding.UTF8.GetBytes(directory + "\0");
            var fd = Open(path, 0 /* O_RDONLY */);
            if (fd < 0)
            {
                return false;
            }

            try
            {
                return Fsync(fd) == 0;
            }
            finally
            {
                _ = Close(fd);
            }
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    // DllImport with blittable arguments only: LibraryImport would need unsafe code in the whole project.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open(byte[] nulTerminatedPath, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);
}
