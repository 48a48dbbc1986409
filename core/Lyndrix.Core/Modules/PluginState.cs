namespace Lyndrix.Core.Modules;

/// <summary>The lifecycle states of a plugin, as the API and events spell them.</summary>
internal static class PluginState
{
    /// <summary>Found and waiting to start, or its setup is running.</summary>
    public const string Initializing = "initializing";

    /// <summary>Setup finished; the module runs.</summary>
    public const string Active = "active";

    /// <summary>Turned off by an operator (or never enabled).</summary>
    public const string Disabled = "disabled";

    /// <summary>A dependency is missing, not active, of the wrong version, or part of a cycle.</summary>
    public const string Blocked = "blocked";

    /// <summary>Loading or setup threw, timed out, or the plugin was refused (type identity).</summary>
    public const string Failed = "failed";

    /// <summary>The manifest is invalid or needs a newer plugin API; the plugin's code is never loaded.</summary>
    public const string Degraded = "degraded";
}
