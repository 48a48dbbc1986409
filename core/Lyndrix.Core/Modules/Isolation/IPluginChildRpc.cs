using System.Text.Json;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>What the host asks of an isolated plugin's process (the child serves it over the channel).</summary>
[StreamJsonRpc.JsonRpcContract]
[PolyType.GenerateShape(IncludeMethods = PolyType.MethodShapeFlags.PublicInstance)]
internal partial interface IPluginChildRpc
{
    /// <summary>Loads the plugin (same loader rules as in-process) and runs its setup; returns null, or why it failed.</summary>
    Task<string?> SetupAsync(ChildSetup setup, CancellationToken cancellationToken);

    /// <summary>A spare's warm-up before any plugin is given to it: the child walks the load path on a built-in module
    /// (<c>ChildRehearsal</c>) and reports through the host's log, so setup, loading and calls in both directions run
    /// compiled code when a plugin comes. <paramref name="sample"/> has the shape of a real setup and is not acted on.</summary>
    Task RehearseAsync(ChildSetup sample, CancellationToken cancellationToken);

    Task TeardownAsync(CancellationToken cancellationToken);

    Task<WireHealth> CheckHealthAsync(CancellationToken cancellationToken);

    Task<WireAuthResult?> AuthenticateAsync(string providerId, string username, string password, CancellationToken cancellationToken);

    Task DeliverAsync(long subscription, WireEvent ev, CancellationToken cancellationToken);

    /// <summary>Runs the plugin's update function <paramref name="update"/> on the stored value.</summary>
    Task<string?> ApplySecretUpdateAsync(long update, string? current, CancellationToken cancellationToken);
}

/// <summary>What the child needs to load and set up the plugin: the host's frozen manifest and resolved settings, and the
/// sandbox it enters before any of the plugin's code loads.</summary>
internal sealed record ChildSetup(string Folder, string ManifestJson, Dictionary<string, string?> Settings, ChildSandbox Sandbox);

internal sealed record WireHealth(string Status, string? Message);

internal sealed record WireAuthResult(string Username, string? FullName, string? Email, bool EmailVerified, string[] Roles, string? ProviderUserId);

/// <summary>An event as it crosses the channel; the payload as JSON (payloads hold only JSON-shaped values).</summary>
internal sealed record WireEvent(string Topic, string Source, DateTimeOffset Timestamp, bool Replayed, JsonElement Payload);
