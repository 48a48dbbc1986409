namespace Lyndrix.Core.Modules;

/// <summary>Where a plugin folder was found; decides what its manifest may claim.</summary>
internal enum PluginOrigin
{
    /// <summary><c>PLUGINS_DIR</c>: operator-installed code. May not use type CORE or ids starting <c>lyndrix.core.</c>.</summary>
    PluginsDirectory,

    /// <summary>The built-in modules folder next to the executable: first-party modules shipped with the host.</summary>
    BuiltIn,
}
