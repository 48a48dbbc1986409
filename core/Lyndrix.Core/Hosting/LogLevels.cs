using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Hosting;

internal static class LogLevels
{
    /// <summary>Maps the original's <c>LOG_LEVEL</c> names to .NET levels.</summary>
    public static LogLevel Parse(string name) => name.ToUpperInvariant() switch
    {
        "TRACE" => LogLevel.Trace,
        "DEBUG" => LogLevel.Debug,
        "WARNING" or "WARN" => LogLevel.Warning,
        "ERROR" => LogLevel.Error,
        "CRITICAL" => LogLevel.Critical,
        _ => LogLevel.Information,
    };
}
