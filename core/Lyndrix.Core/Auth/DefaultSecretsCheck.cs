using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Auth;

/// <summary>
/// Outside <c>ENV_TYPE=dev</c> the host refuses to start while a development default secret is in use. Every offending
/// variable is named in one message, so the operator fixes them all in one go instead of restarting once per variable.
/// </summary>
internal static class DefaultSecretsCheck
{
    /// <summary>Variables whose development defaults are refused, with the default each one has when unset (null: only
    /// an explicit value equal to the original's default counts, because this host has no default for it).</summary>
    public static readonly IReadOnlyList<(string Name, string Default, bool DefaultWhenUnset)> Defaults =
    [
        ("LYNDRIX_ADMIN_PASSWORD", AuthSettings.DefaultAdminPassword, true),
        ("LYNDRIX_BOT_PASSWORD", AuthSettings.DefaultBotPassword, true),
        ("STORAGE_SECRET", "dev_secret_only", false),
        ("DB_PASSWORD", "secret", false),
    ];

    public static IReadOnlyList<string> Offending(IConfigSource source) =>
        Defaults.Where(d => source.Get(d.Name) is { } value ? value == d.Default : d.DefaultWhenUnset).Select(d => d.Name).ToArray();

    public static void Apply(SettingsReader r, string envType)
    {
        var offending = Offending(r.Source);
        if (offending.Count == 0)
        {
            return;
        }

        r.Problem(string.Join(", ", offending),
            $"{(offending.Count == 1 ? "is" : "are")} unset or still {(offending.Count == 1 ? "holds its" : "hold their")} development default, " +
            $"which ENV_TYPE='{envType}' refuses. Give {(offending.Count == 1 ? "it" : "each")} a strong, unique value " +
            "(for example the output of `openssl rand -base64 24`), or set ENV_TYPE=dev on a development machine");
    }
}
