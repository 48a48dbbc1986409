using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Hosting;

/// <summary>
/// Drops exactly one Kestrel log event: the warning "Connection processing ended abnormally." with an
/// <see cref="InvalidOperationException"/> ("Reading is already in progress") and its stack trace, which Kestrel writes when a
/// client hangs up while the application still reads its body (dotnet/aspnetcore#52324). Any client can cause it, so it
/// would be an anonymous lever for filling the log; the request pipeline already logs such a request as one Information
/// line. Every other Kestrel event, warnings included, passes. Wraps the host's <see cref="ILoggerFactory"/>, because
/// logging filters see category and level but not the event.
/// </summary>
internal sealed class KestrelAbortLogFilter(ILoggerFactory inner) : ILoggerFactory
{
    public const string Category = "Microsoft.AspNetCore.Server.Kestrel";

    public const string Message = "Connection processing ended abnormally.";

    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        return categoryName == Category ? new Filtered(logger) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    /// <summary>True for the one event this filter drops.</summary>
    public static bool IsAbortNoise<TState>(LogLevel level, EventId eventId, TState state, Exception? exception) =>
        level == LogLevel.Warning && eventId.Id == 0 && exception is InvalidOperationException &&
        string.Equals(state?.ToString(), Message, StringComparison.Ordinal);

    private sealed class Filtered(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsAbortNoise(logLevel, eventId, state, exception))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
