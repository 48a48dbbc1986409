namespace Lyndrix.Core.Modules;

/// <summary>A plugin's code could not be loaded, or was refused; the message tells the operator what and why.</summary>
internal sealed class PluginLoadException(string message) : Exception(message);
