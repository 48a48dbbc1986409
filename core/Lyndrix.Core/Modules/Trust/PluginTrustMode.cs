namespace Lyndrix.Core.Modules.Trust;

/// <summary><c>LYNDRIX_PLUGIN_TRUST</c>: which plugin folders from <c>PLUGINS_DIR</c> may load.</summary>
internal enum PluginTrustMode
{
    /// <summary>Every self-contained folder (development default).</summary>
    Any,

    /// <summary>Only folders whose every file matches the pin an administrator recorded (production default).</summary>
    Pinned,

    /// <summary>Only folders carrying a valid signature from a key in <c>LYNDRIX_PLUGIN_TRUSTED_KEYS</c>, or matching a pin.</summary>
    Signed,
}
