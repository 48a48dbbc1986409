namespace Lyndrix.Core.Configuration;

/// <summary>Invalid configuration; the message names every offending variable and says what to do.</summary>
internal sealed class ConfigurationException(IReadOnlyList<string> problems)
    : Exception("Configuration is invalid:\n  - " + string.Join("\n  - ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
