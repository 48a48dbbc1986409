using Lyndrix.Core.Modules.Isolation;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Modules.Isolation;

/// <summary>An unprivileged account for <c>LYNDRIX_PLUGIN_USER</c> in tests (CI runs as root), and a host it can run.</summary>
internal static class PluginAccounts
{
    /// <summary>The account isolated plugins run as in tests that switch accounts; created when missing.</summary>
    public const string Name = "lyndrix-plugin-test";

    /// <summary>Creates the account unless it exists; ignores the test when this process is not root.</summary>
    public static async Task EnsureAsync()
    {
        if (!PluginUser.HostIsRoot)
        {
            Assert.Ignore("Running a plugin as another account needs a root host; CI runs as root.");
        }

        using var id = System.Diagnostics.Process.Start("id", ["-u", Name])!;
        await id.WaitForExitAsync();
        if (id.ExitCode != 0)
        {
            using var add = System.Diagnostics.Process.Start("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", Name])!;
            await add.WaitForExitAsync();
            Assert.That(add.ExitCode, Is.Zero, $"useradd {Name}");
        }
    }

    /// <summary>The real host's <c>lyndrix.dll</c>, or, when the checkout sits where the account cannot reach (e.g. under
    /// /root), a copy of its folder under <paramref name="dir"/>.</summary>
    public static string ReachableHost(TempDirectory dir)
    {
        var executable = HostProcess.Executable;
        if (PluginUser.FirstClosedFolder(executable) is null)
        {
            return executable;
        }

        PluginFixtures.CopyDirectory(Path.GetDirectoryName(executable)!, dir.Sub("host"));
        return Path.Combine(dir.Path, "host", Path.GetFileName(executable));
    }
}
