using System.Text.Json.Serialization;

namespace Lyndrix.Sdk;

/// <summary>Whether a module belongs to the core or is a plugin; decides its secret path (<c>core/</c> or <c>plugins/</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModuleType>))]
public enum ModuleType
{
    /// <summary>A plugin dropped into <c>PLUGINS_DIR</c>; secrets under <c>plugins/&lt;id&gt;</c>.</summary>
    [JsonStringEnumMemberName("PLUGIN")] Plugin,
    /// <summary>A core module shipped with the host; secrets under <c>core/&lt;id&gt;</c>.</summary>
    [JsonStringEnumMemberName("CORE")] Core,
}

/// <summary>The content of a plugin's <c>plugin.json</c>. The host validates it before loading any code.</summary>
public sealed record ModuleManifest
{
    /// <summary>Stable id, e.g. <c>lyndrix.plugin.hello</c>: lower-case letters, digits, <c>.</c>, <c>_</c>, <c>-</c>.</summary>
    [JsonPropertyName("id")] public required string Id { get; init; }

    /// <summary>Display name.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }

    /// <summary>Semantic version of the plugin.</summary>
    [JsonPropertyName("version")] public required string Version { get; init; }

    /// <summary>File name of the assembly holding the <see cref="ILyndrixModule"/> implementation.</summary>
    [JsonPropertyName("entryAssembly")] public string? EntryAssembly { get; init; }

    /// <summary>What the plugin does.</summary>
    [JsonPropertyName("description")] public string Description { get; init; } = "No description provided";

    /// <summary>Who wrote it.</summary>
    [JsonPropertyName("author")] public string Author { get; init; } = "Unknown";

    /// <summary>Plugin or core module.</summary>
    [JsonPropertyName("type")] public ModuleType Type { get; init; } = ModuleType.Plugin;

    /// <summary>The lowest plugin API version (<see cref="LyndrixApi.Version"/>) the plugin needs.</summary>
    [JsonPropertyName("min_core_version")] public string? MinCoreVersion { get; init; }

    /// <summary>Plugins that must be active first.</summary>
    [JsonPropertyName("dependencies")] public IReadOnlyList<ModuleDependency> Dependencies { get; init; } = [];

    /// <summary>What the plugin may do.</summary>
    [JsonPropertyName("permissions")] public ModulePermissions Permissions { get; init; } = new();

    /// <summary>Settings the plugin understands.</summary>
    [JsonPropertyName("settings_schema")] public IReadOnlyList<SettingDefinition> SettingsSchema { get; init; } = [];

    /// <summary>Topic domains the module owns besides its id: it may emit <c>&lt;domain&gt;:*</c> for its id and each of
    /// these (when the topics are also listed in <c>permissions.emit</c>). A domain claimed by two installed plugins is
    /// nobody's.</summary>
    [JsonPropertyName("event_domains")] public IReadOnlyList<string> EventDomains { get; init; } = [];

    /// <summary>Ids of other plugins that may emit topics in this module's domains.</summary>
    [JsonPropertyName("event_emitters")] public IReadOnlyList<string> EventEmitters { get; init; } = [];

    /// <summary>Whether a newly installed plugin starts enabled.</summary>
    [JsonPropertyName("auto_enable_on_install")] public bool AutoEnableOnInstall { get; init; } = true;

    /// <summary>Whether the module may subscribe to <paramref name="topic"/>: it is listed in
    /// <c>permissions.subscribe</c>, or the list holds <c>*</c>.</summary>
    /// <param name="topic">The topic, <c>domain:event</c>.</param>
    /// <returns><see langword="true"/> when the host will accept the subscription.</returns>
    public bool MaySubscribe(string topic) => Listed(Permissions.Subscribe, topic);

    /// <summary>Whether the manifest allows emitting <paramref name="topic"/>: it is listed in <c>permissions.emit</c>
    /// (or the list holds <c>*</c>), and, unless the module is of type <see cref="ModuleType.Core"/>, the topic is
    /// not in one of the <see cref="Events.CoreTopics.CoreDomains"/>. The host also requires the topic's domain to be
    /// the module's own (<see cref="OwnsDomain"/>) or one whose owner lists the module in <see cref="EventEmitters"/>.</summary>
    /// <param name="topic">The topic, <c>domain:event</c>.</param>
    /// <returns><see langword="true"/> when the host will accept the emit.</returns>
    public bool MayEmit(string topic) =>
        Listed(Permissions.Emit, topic) && (Type == ModuleType.Core || !Events.CoreTopics.IsCoreOwned(topic));

    /// <summary>Whether <paramref name="domain"/> (the part of a topic before the first <c>:</c>) is the module's id or
    /// one of its <see cref="EventDomains"/>.</summary>
    /// <param name="domain">A topic domain.</param>
    /// <returns><see langword="true"/> when the module claims the domain.</returns>
    public bool OwnsDomain(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return string.Equals(domain, Id, StringComparison.Ordinal) || EventDomains.Contains(domain, StringComparer.Ordinal);
    }

    /// <summary>The domain of a topic: the part before the first <c>:</c> (the whole topic when it has none).</summary>
    /// <param name="topic">The topic, <c>domain:event</c>.</param>
    /// <returns>The domain.</returns>
    public static string DomainOf(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        var colon = topic.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? topic : topic[..colon];
    }

    private static bool Listed(IReadOnlyList<string> allowed, string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        foreach (var entry in allowed)
        {
            if (entry == "*" || string.Equals(entry, topic, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A dependency on another plugin.</summary>
public sealed record ModuleDependency
{
    /// <summary>The id of the plugin depended on.</summary>
    [JsonPropertyName("id")] public required string Id { get; init; }

    /// <summary>A version range such as <c>&gt;=1.2.0 &lt;2.0.0</c>, <c>^1.2</c>, <c>~1.2.3</c> or <c>*</c>.</summary>
    [JsonPropertyName("version")] public string Version { get; init; } = "*";
}

/// <summary>Topic and secret-path allow-lists. <c>*</c> allows every topic.</summary>
public sealed record ModulePermissions
{
    /// <summary>Topics the module may subscribe to.</summary>
    [JsonPropertyName("subscribe")] public IReadOnlyList<string> Subscribe { get; init; } = [];

    /// <summary>Topics the module may emit.</summary>
    [JsonPropertyName("emit")] public IReadOnlyList<string> Emit { get; init; } = [];

    /// <summary>Extra secret paths requested; recorded for review, not granted.</summary>
    [JsonPropertyName("vault_paths")] public IReadOnlyList<string> VaultPaths { get; init; } = [];
}

/// <summary>One entry of <c>settings_schema</c>.</summary>
public sealed record SettingDefinition
{
    /// <summary>The setting's key.</summary>
    [JsonPropertyName("key")] public required string Key { get; init; }

    /// <summary>A label for forms.</summary>
    [JsonPropertyName("label")] public string? Label { get; init; }

    /// <summary><c>str</c>, <c>bool</c>, <c>int</c>, <c>select</c> or <c>secret</c>.</summary>
    [JsonPropertyName("kind")] public string Kind { get; init; } = "str";

    /// <summary>Allowed values for <c>select</c>.</summary>
    [JsonPropertyName("options")] public IReadOnlyList<string> Options { get; init; } = [];

    /// <summary>Help text.</summary>
    [JsonPropertyName("description")] public string? Description { get; init; }

    /// <summary>The default value.</summary>
    [JsonPropertyName("default")] public string? Default { get; init; }
}
