namespace Lyndrix.Core.Tests.Secrets.Support;

public static class FileModes
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode OwnerOnlyFolder = OwnerOnly | UnixFileMode.UserExecute;

    /// <summary>The Unix mode of a file; the test is skipped on Windows, which has no such modes.</summary>
    public static UnixFileMode Of(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Unix file modes do not exist on Windows.");
            return default;
        }

        return File.GetUnixFileMode(path);
    }
}
