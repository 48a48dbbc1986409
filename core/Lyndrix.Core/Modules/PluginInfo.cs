using System.Text.Json.Serialization;

namespace Lyndrix.Core.Modules;

/// <summary>A snapshot of one plugin for <c>GET /api/plugins</c> and the CLI.</summary>
internal sealed record PluginInfo
{
    [JsonPropertyName("id")] public required string Id { get; init; }

    [JsonPropertyName("name")] public string? Name { get; init; }

    [JsonPropertyName("version")] public string? Version { get; init; }

    [JsonPropertyName("state")] public required PluginState State { get; init; }

    /// <summary>Why the plugin is in its state (failed, blocked, degraded); null when active or disabled by choice.</summary>
    [JsonPropertyName("reason")] public string? Reason { get; init; }

    /// <summary>Whether the operator wants it running (persisted).</summary>
    [JsonPropertyName("enabled")] public bool Enabled { get; init; }

    /// <summary>Whether its code is loaded in a load context.</summary>
    [JsonPropertyName("loaded")] public bool Loaded { get; init; }

    /// <summary>How the folder was last verified before loading: builtin, any, pinned, signed:&lt;key id&gt; or refused.</summary>
    [JsonPropertyName("trust")] public string? Trust { get; init; }

    /// <summary>Where the plugin runs: <c>inprocess</c> or <c>process</c>.</summary>
    [JsonPropertyName("isolation")] public string Isolation { get; init; } = "inprocess";

    /// <summary>The process id of an isolated plugin's child, while it runs.</summary>
    [JsonPropertyName("process_id")] public int? ProcessId { get; init; }

    /// <summary>Load contexts of earlier code that are still in memory because an unload could not free them (0 normally).</summary>
    [JsonPropertyName("held_contexts")] public int HeldContexts { get; init; }

    [JsonPropertyName("origin")] public required string Origin { get; init; }

    [JsonPropertyName("type")] public string? Type { get; init; }

    [JsonPropertyName("folder")] public required string Folder { get; init; }

    [JsonPropertyName("author")] public string? Author { get; init; }

    [JsonPropertyName("description")] public string? Description { get; init; }

    [JsonPropertyName("dependencies")] public IReadOnlyList<PluginDependencyInfo> Dependencies { get; init; } = [];

    [JsonPropertyName("subscribe")] public IReadOnlyList<string> Subscribe { get; init; } = [];

    [JsonPropertyName("emit")] public IReadOnlyList<string> Emit { get; init; } = [];

    [JsonPropertyName("errors")] public IReadOnlyList<string> Errors { get; init; } = [];

    [JsonPropertyName("warnings")] public IReadOnlyList<string> Warnings { get; init; } = [];
}
