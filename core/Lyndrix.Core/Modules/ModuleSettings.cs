using System.Globalization;
using System.Text;
using Lyndrix.Core.Configuration;
using Lyndrix.Sdk;

namespace Lyndrix.Core.Modules;

/// <summary>
/// A module's settings: the <c>settings_schema</c> defaults, overridden by environment variables (or <c>.env</c>) named
/// <c>LYNDRIX_PLUGIN_&lt;ID&gt;_&lt;KEY&gt;</c> (upper case, every character other than a letter or digit becomes <c>_</c>).
/// Settings of kind <c>secret</c> are never read from the environment or shown here: the module reads them with
/// <c>GetSecretAsync(key)</c>, so they stay in the secret store.
/// </summary>
internal static class ModuleSettings
{
    public static string VariableName(string moduleId, string key) => $"LYNDRIX_PLUGIN_{Upper(moduleId)}_{Upper(key)}";

    /// <summary>Resolves the settings; an override that does not fit its kind is reported and the default is kept.</summary>
    public static IReadOnlyDictionary<string, string?> Resolve(ModuleManifest manifest, IConfigSource config, List<string> problems)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var setting in manifest.SettingsSchema)
        {
            if (setting.Kind == "secret")
            {
                continue;
            }

            var value = setting.Default;
            var variable = VariableName(manifest.Id, setting.Key);
            var raw = config.Get(variable);
            if (raw is not null)
            {
                var problem = CheckValue(setting.Kind, setting.Options, raw);
                if (problem is null)
                {
                    value = Normalize(setting.Kind, raw);
                }
                else
                {
                    problems.Add($"{variable} {problem} The default ({setting.Default ?? "none"}) is used instead.");
                }
            }

            values[setting.Key] = value;
        }

        return values;
    }

    /// <summary>Checks a value against a setting kind; returns <see langword="null"/> or what is wrong, phrased to follow the
    /// name of the value ("must be ...").</summary>
    public static string? CheckValue(string kind, IReadOnlyList<string> options, string value) => kind switch
    {
        "bool" when !SettingsReader.TryParseBool(value, out _) => $"must be true or false (got '{value}').",
        "int" when !long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) => $"must be a whole number (got '{value}').",
        "select" when options.Count > 0 && !options.Contains(value, StringComparer.Ordinal) => $"must be one of {string.Join(", ", options)} (got '{value}').",
        _ => null,
    };

    private static string Normalize(string kind, string value) =>
        kind == "bool" && SettingsReader.TryParseBool(value, out var b) ? (b ? "true" : "false") : value;

    private static string Upper(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        }

        return sb.ToString();
    }
}
