namespace Lyndrix.Core.Configuration;

/// <summary>
/// The settings that carry secrets. Each may come from the environment, from <c>.env</c>, or from a file named by
/// <c>NAME_FILE</c> (the Docker/Kubernetes secrets convention). The host reads them once at start and then removes them,
/// and their <c>_FILE</c> pointers, from the process environment, so plugin code that loads later cannot read them there.
/// </summary>
internal static class HostSecretVariables
{
    public const string FileSuffix = "_FILE";

    public static IReadOnlyList<string> Names { get; } =
    [
        "LYNDRIX_MASTER_KEY", "VAULT_TOKEN", "VAULT_SECRET_ID", "DB_PASSWORD", "LYNDRIX_ADMIN_PASSWORD", "LYNDRIX_BOT_PASSWORD",
        "LYNDRIX_LDAP_BIND_PASSWORD", "LYNDRIX_OIDC_CLIENT_SECRET", "LYNDRIX_TOKEN",
    ];

    /// <summary>Reads every <c>NAME_FILE</c> that is set. A value set both directly and by file, an unreadable file, and
    /// (outside development) a file that group or others may read are problems, reported when the setting is read.</summary>
    /// <param name="get">Looks a name up in the environment, then <c>.env</c>.</param>
    /// <param name="isDev">Development relaxes the file-mode rule.</param>
    public static (Dictionary<string, string> Values, Dictionary<string, string> Problems) ReadFiles(Func<string, string?> get, bool isDev)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Names)
        {
            var path = get(name + FileSuffix);
            if (path is null)
            {
                continue;
            }

            if (get(name) is not null)
            {
                problems[name] = $"{name} and {name}{FileSuffix} are both set; set only one of them.";
                continue;
            }

            try
            {
                if (!isDev && !OperatingSystem.IsWindows() &&
                    (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
                {
                    problems[name] = $"{name}{FileSuffix} names {path}, which group or others may read or write; a secret file must be owner-only " +
                                     $"(chmod 600 {path}). Outside ENV_TYPE=dev such a file is refused.";
                    continue;
                }

                values[name] = File.ReadAllText(path).TrimEnd('\r', '\n');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                problems[name] = $"{name}{FileSuffix} names {path}, which cannot be read ({ex.GetType().Name}). Check the path and that the host's user may read it.";
            }
        }

        return (values, problems);
    }

    /// <summary>Removes every secret setting and its <c>_FILE</c> pointer from the process environment, both the runtime's
    /// copy and the native block behind <c>/proc/self/environ</c>.</summary>
    public static void RemoveFromProcessEnvironment()
    {
        foreach (var name in Names)
        {
            NativeEnvironment.Erase(name);
            NativeEnvironment.Erase(name + FileSuffix);
        }
    }
}
