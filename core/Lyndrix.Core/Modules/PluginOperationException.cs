namespace Lyndrix.Core.Modules;

/// <summary>A run-time plugin operation (enable, disable, reload, unload) could not be carried out; maps to an HTTP status.</summary>
internal sealed class PluginOperationException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public static PluginOperationException NotFound(string id) =>
        new(404, $"No plugin with id '{id}'. GET /api/plugins (or 'lyndrix plugins list') shows the installed plugins; a folder added after boot is picked up by POST /api/plugins/rescan.");

    public static PluginOperationException Conflict(string message) => new(409, message);

    public static PluginOperationException Unavailable(string message) => new(503, message);
}
