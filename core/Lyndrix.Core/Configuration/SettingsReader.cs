using System.Globalization;

namespace Lyndrix.Core.Configuration;

/// <summary>Typed reads from a config source that collect every problem instead of stopping at the first.</summary>
internal sealed class SettingsReader(IConfigSource source, string baseDirectory)
{
    private readonly List<string> _problems = [];

    public IConfigSource Source { get; } = source;

    public string BaseDirectory { get; } = baseDirectory;

    public string? String(string name) => Source.Get(name);

    public string String(string name, string fallback) => Source.Get(name) ?? fallback;

    public int Int(string name, int fallback, int min, int max)
    {
        var raw = Source.Get(name);
        if (raw is null)
        {
            return fallback;
        }

        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Problem(name, string.Create(CultureInfo.InvariantCulture, $"must be a whole number from {min} to {max} (got '{raw}')"));
            return fallback;
        }

        return value;
    }

    public bool Bool(string name, bool fallback)
    {
        var raw = Source.Get(name);
        if (raw is null)
        {
            return fallback;
        }

        if (!TryParseBool(raw, out var value))
        {
            Problem(name, $"must be true or false (got '{raw}')");
            return fallback;
        }

        return value;
    }

    /// <summary>The boolean spellings every setting accepts (environment variables and module settings alike).</summary>
    public static bool TryParseBool(string raw, out bool value) => BoolText.TryParse(raw, out value);

    public TimeSpan Seconds(string name, double fallbackSeconds, double min, double max)
    {
        var raw = Source.Get(name);
        if (raw is null)
        {
            return TimeSpan.FromSeconds(fallbackSeconds);
        }

        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Problem(name, string.Create(CultureInfo.InvariantCulture, $"must be a number of seconds from {min} to {max} (got '{raw}')"));
            return TimeSpan.FromSeconds(fallbackSeconds);
        }

        return TimeSpan.FromSeconds(value);
    }

    /// <summary>A directory path; relative values are resolved against the working directory.</summary>
    public string Path(string name, string fallback) =>
        System.IO.Path.GetFullPath(Source.Get(name) ?? fallback, BaseDirectory);

    public void Problem(string name, string message) => _problems.Add($"{name} {message}.");

    public void ThrowIfInvalid()
    {
        if (_problems.Count > 0)
        {
            throw new ConfigurationException(_problems.ToArray());
        }
    }
}
