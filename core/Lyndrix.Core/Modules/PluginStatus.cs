namespace Lyndrix.Core.Modules;

/// <summary>A plugin's state and why it is in it (failed, blocked, degraded; null when active or disabled by choice).</summary>
internal sealed record PluginStatus(PluginState State, string? Reason);
