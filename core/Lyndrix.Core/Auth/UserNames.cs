namespace Lyndrix.Core.Auth;

/// <summary>The shape of local user names and of user names typed at login.</summary>
internal static class UserNames
{
    public const int MaxLength = 256;

    /// <summary>Bootstrap account names: 1-64 letters, digits, '.', '_', '-' or '@'.</summary>
    public static bool IsValid(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@');

    /// <summary>A login name worth asking providers about: not empty, not absurdly long, no control characters.</summary>
    public static bool IsPlausibleLogin(string name) =>
        name.Length is > 0 and <= MaxLength && !name.Any(char.IsControl);

    /// <summary>A user name safe to put in a log line: control characters and line separators escaped (no forged log lines),
    /// length capped.</summary>
    public static string ForLog(string? name) => Hosting.LogValue.Escape(name, 64);

    /// <summary>The key under which login failures are counted for a user.</summary>
    public static string ThrottleKey(string name) => name.Trim().ToLowerInvariant();
}
