using System.Runtime.InteropServices;

namespace Lyndrix.Core.Configuration;

/// <summary>
/// Erases a variable from the process environment. .NET keeps its own copy of the environment, so
/// <see cref="Environment.SetEnvironmentVariable(string, string?)"/> alone leaves the value in the native block that
/// <c>/proc/self/environ</c> shows to any code in the process. On Linux the value's bytes in that block are overwritten
/// before the variable is unset.
/// </summary>
internal static partial class NativeEnvironment
{
    public static void Erase(string name)
    {
        Environment.SetEnvironmentVariable(name, null);
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            var value = getenv(name);
            if (value != IntPtr.Zero)
            {
                var length = 0;
                while (Marshal.ReadByte(value, length) != 0)
                {
                    length++;
                }

                // Overwrite in place (the strings of the initial environment are what /proc/self/environ reads), then unset.
                for (var i = 0; i < length; i++)
                {
                    Marshal.WriteByte(value, i, (byte)'*');
                }

                _ = unsetenv(name);
            }
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // No libc to ask: the runtime's copy is gone, which is what managed plugin code reads.
        }
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getenv(string name);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int unsetenv(string name);
}
