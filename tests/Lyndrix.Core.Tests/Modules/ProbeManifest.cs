using System.Text.Json.Nodes;

namespace Lyndrix.Core.Tests.Modules;

/// <summary>The plugin.json of a copy of the Probe test plugin (<c>tests/plugins/Probe</c>): settings become
/// settings_schema defaults, which choose what the probe does. Shared by the unit tests and the benchmarks.</summary>
internal static class ProbeManifest
{
    public static JsonObject Create(
        string id,
        IReadOnlyDictionary<string, string>? settings = null,
        string[]? subscribe = null,
        string[]? emit = null,
        (string Id, string Range)[]? dependencies = null,
        string version = "1.0.0",
        string? minCoreVersion = null,
        string? type = null,
        string description = "test probe",
        string[]? eventDomains = null,
        string[]? eventEmitters = null)
    {
        // By default the probe claims the domains of the topics it emits (the host lets a plugin emit only in its own).
        eventDomains ??= [.. (emit ?? []).Where(t => t != "*" && !Sdk.Events.CoreTopics.IsCoreOwned(t))
            .Select(Sdk.ModuleManifest.DomainOf).Where(d => d != id).Distinct()];
        var schema = new JsonArray();
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            schema.Add(new JsonObject { ["key"] = key, ["kind"] = "str", ["default"] = value });
        }

        var manifest = new JsonObject
        {
            ["id"] = id,
            ["name"] = "Probe " + id,
            ["version"] = version,
            ["entryAssembly"] = "Probe.dll",
            ["description"] = description,
            ["permissions"] = new JsonObject
            {
                ["subscribe"] = new JsonArray((subscribe ?? []).Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
                ["emit"] = new JsonArray((emit ?? []).Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
            },
            ["dependencies"] = new JsonArray((dependencies ?? []).Select(d => (JsonNode?)new JsonObject { ["id"] = d.Id, ["version"] = d.Range }).ToArray()),
            ["settings_schema"] = schema,
            ["event_domains"] = new JsonArray(eventDomains.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
            ["event_emitters"] = new JsonArray((eventEmitters ?? []).Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
        };
        if (minCoreVersion is not null)
        {
            manifest["min_core_version"] = minCoreVersion;
        }

        if (type is not null)
        {
            manifest["type"] = type;
        }

        return manifest;
    }
}
