namespace Lyndrix.Sdk;

/// <summary>Version information of the plugin API that this SDK describes.</summary>
public static class LyndrixApi
{
    /// <summary>
    /// The plugin API version. A manifest's <c>min_core_version</c> is compared with this value:
    /// a plugin that needs a newer API is put in the <c>degraded</c> state and not started.
    /// </summary>
    public const string Version = "1.1.0";
}
