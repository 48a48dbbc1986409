using System.Text.Json.Serialization;

namespace Lyndrix.Core.Modules;

/// <summary>The lifecycle states of a plugin. The API, the events and the CLI spell them in lower case (<c>"active"</c>),
/// through <see cref="PluginStates"/>, which also holds the table of which state may follow which.</summary>
[JsonConverter(typeof(PluginStateJsonConverter))]
internal enum PluginState
{
    /// <summary>Found and waiting to start, or its setup is running.</summary>
    Initializing,

    /// <summary>Setup finished; the module runs.</summary>
    Active,

    /// <summary>Turned off by an operator (or never enabled).</summary>
    Disabled,

    /// <summary>A dependency is missing, not active, of the wrong version, or part of a cycle.</summary>
    Blocked,

    /// <summary>Loading or setup threw, timed out, the plugin was refused (trust, type identity), or its process ended.</summary>
    Failed,

    /// <summary>The manifest is invalid or needs a newer plugin API; the plugin's code is never loaded.</summary>
    Degraded,
}
