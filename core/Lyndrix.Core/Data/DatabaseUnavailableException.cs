namespace Lyndrix.Core.Data;

/// <summary>The database cannot be used yet or any more; the message says why and what happens next.</summary>
internal sealed class DatabaseUnavailableException(string message) : Exception(message);
