using System.Collections;

namespace Lyndrix.Core.Configuration;

/// <summary>Environment variables override values from a <c>.env</c> file, as in the original. Secret settings may also
/// come from files (<c>NAME_FILE</c>, see <see cref="HostSecretVariables"/>).</summary>
internal sealed class EnvironmentConfigSource : IConfigSource
{
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly IReadOnlyDictionary<string, string> _dotEnv;
    private readonly Dictionary<string, string> _fromFiles;
    private readonly Dictionary<string, string> _fileProblems;

    public EnvironmentConfigSource(IReadOnlyDictionary<string, string> environment, IReadOnlyDictionary<string, string>? dotEnv = null)
    {
        _environment = environment;
        _dotEnv = dotEnv ?? new Dictionary<string, string>();
        var isDev = HostSettings.IsDevEnvType(Lookup("ENV_TYPE") ?? "dev");
        (_fromFiles, _fileProblems) = HostSecretVariables.ReadFiles(Lookup, isDev);
    }

    public string? Get(string name)
    {
        if (_fileProblems.TryGetValue(name, out var problem))
        {
            throw new ConfigurationException([problem]);
        }

        return _fromFiles.TryGetValue(name, out var value) ? value : Lookup(name);
    }

    private string? Lookup(string name)
    {
        if (_environment.TryGetValue(name, out var value) && value.Length > 0)
        {
            return value;
        }

        return _dotEnv.TryGetValue(name, out value) && value.Length > 0 ? value : null;
    }

    /// <summary>Reads the process environment and <c>.env</c> in <paramref name="directory"/> (or <c>LYNDRIX_ENV_FILE</c>),
    /// then removes the secret settings from the process environment: from here on they live only in this source.</summary>
    public static EnvironmentConfigSource FromProcess(string directory)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            environment[(string)e.Key] = (string?)e.Value ?? "";
        }

        var file = environment.TryGetValue("LYNDRIX_ENV_FILE", out var explicitFile) && explicitFile.Length > 0
            ? explicitFile
            : Path.Combine(directory, ".env");
        var source = new EnvironmentConfigSource(environment, File.Exists(file) ? DotEnvFile.Parse(File.ReadAllLines(file)) : null);
        HostSecretVariables.RemoveFromProcessEnvironment();
        return source;
    }

    public static EnvironmentConfigSource FromValues(IReadOnlyDictionary<string, string> values) => new(values);
}
