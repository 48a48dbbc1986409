using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Sdk.Testing;

internal sealed class TestLogger(ConcurrentQueue<TestLogEntry> entries) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        entries.Enqueue(new TestLogEntry(logLevel, formatter(state, exception), exception));
    }
}
