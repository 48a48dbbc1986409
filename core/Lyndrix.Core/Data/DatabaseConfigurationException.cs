namespace Lyndrix.Core.Data;

/// <summary>The database settings cannot form a working connection; the message names the setting to fix.</summary>
internal sealed class DatabaseConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
