using Microsoft.Extensions.Logging;

namespace Lyndrix.Sdk.Testing;

/// <summary>One line the module logged through <see cref="IModuleContext.Logger"/>.</summary>
/// <param name="Level">The log level.</param>
/// <param name="Message">The formatted message.</param>
/// <param name="Exception">The exception logged with it, if any.</param>
public sealed record TestLogEntry(LogLevel Level, string Message, Exception? Exception);
