using System.Diagnostics;
using System.Globalization;
using Lyndrix.Core.Modules.Isolation;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Modules.Isolation;

/// <summary>
/// The unprivileged account isolated plugins run as in tests (<c>LYNDRIX_PLUGIN_USER</c>), created with useradd on first use.
/// Running a plugin as another account needs a root host: elsewhere the test is ignored, or fails under
/// <c>LYNDRIX_REQUIRE_SERVERS=1</c> (CI runs as root).
/// </summary>
internal static class TestPluginAccount
{
    public const string Name = "lyndrix-plugin-test";

    /// <summary>Makes sure the account exists; returns its uid.</summary>
    public static async Task<string> EnsureAsync()
    {
        if (!PluginUser.HostIsRoot)
        {
            Requirement.Missing("Running a plugin as another account needs a root host; CI runs as root.");
        }

        if (await UidAsync() is { } uid)
        {
            return uid;
        }

        using var add = Process.Start("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", Name])!;
        await add.WaitForExitAsync();
        Assert.That(add.ExitCode, Is.Zero, $"useradd {Name}");
        return await UidAsync() ?? throw new InvalidOperationException($"useradd {Name} succeeded, yet id -u {Name} finds no such account");
    }

    /// <summary>The built <c>lyndrix.dll</c>, or, when the checkout sits where the account cannot reach (e.g. under /root), a
    /// copy of its folder under <paramref name="dir"/> that it can read.</summary>
    public static string ReachableExecutable(string dir)
    {
        var executable = HostProcess.Executable;
        if (PluginUser.FirstClosedFolder(executable) is null)
        {
            return executable;
        }

        var copy = Path.Combine(dir, "host");
        PluginFixtures.CopyDirectory(Path.GetDirectoryName(executable)!, copy);
        return Path.Combine(copy, Path.GetFileName(executable));
    }

    private static async Task<string?> UidAsync()
    {
        using var id = Process.Start(new ProcessStartInfo("id", ["-u", Name]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await id.StandardOutput.ReadToEndAsync();
        await id.WaitForExitAsync();
        return id.ExitCode == 0 ? int.Parse(output.Trim(), CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture) : null;
    }
}
