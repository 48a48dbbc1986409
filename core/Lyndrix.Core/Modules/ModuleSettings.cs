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
                var problem = PluginRules.SettingValueProblem(setting.Kind, setting.Options, raw);
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
