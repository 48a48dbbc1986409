using System.Globalization;
using System.Text.Json;
using Lyndrix.Core.Events;
using Lyndrix.Sdk;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Modules;

/// <summary>
/// Reads and validates a plugin folder's <c>plugin.json</c> without loading any code. Every problem is collected, so an
/// author sees them all at once; each message names the field, says what is wrong and what would be right. This file is the
/// one manifest rule set: it is compiled into <c>Lyndrix.Sdk.Testing</c> too, so <c>ModuleTestHost</c> refuses exactly what
/// the host and <c>lyndrix plugins validate</c> refuse; reading from a folder is in <c>PluginManifestReader.Folder.cs</c>.
/// </summary>
internal static partial class PluginManifestReader
{
    public const string FileName = "plugin.json";

    private static readonly string[] SettingKinds = ["str", "bool", "int", "select", "secret"];

    /// <summary>Fields of the Python original that this host ignores; they are accepted silently.</summary>
    private static readonly HashSet<string> IgnoredFields = new(StringComparer.Ordinal)
    {
        "$schema", "icon", "repo_url", "ui_route", "notification_endpoints", "roles", "react_ui", "react_routes",
        "settings_ui_route", "i18n_namespace",
    };

    private static readonly HashSet<string> KnownFields = new(StringComparer.Ordinal)
    {
        "id", "name", "version", "entryAssembly", "description", "author", "type", "min_core_version", "dependencies",
        "permissions", "settings_schema", "auto_enable_on_install", "event_domains", "event_emitters", "isolation",
    };

    /// <summary>Validates the text of a manifest. <paramref name="folder"/> is where the plugin's files are (the entry
    /// assembly must be there); null for a manifest that has no folder (one built in code for <c>ModuleTestHost</c>), whose
    /// entry assembly is then checked for its shape only.</summary>
    public static PluginDescriptor Parse(ReadOnlyMemory<byte> json, string? folder, PluginOrigin origin, SemanticVersion apiVersion)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            errors.Add($"{FileName} is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}): {FirstSentence(ex.Message)}");
            return Invalid(folder ?? "", origin, errors, warnings);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{FileName} must hold a JSON object ({{ \"id\": ..., \"name\": ..., ... }}), not a {Kind(root)}.");
                return Invalid(folder ?? "", origin, errors, warnings);
            }

            return Validate(root, folder, origin, apiVersion, errors, warnings);
        }
    }

    private static PluginDescriptor Validate(JsonElement root, string? folder, PluginOrigin origin, SemanticVersion apiVersion,
        List<string> errors, List<string> warnings)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (!KnownFields.Contains(property.Name) && !IgnoredFields.Contains(property.Name))
            {
                warnings.Add($"Unknown field '{property.Name}' is ignored (check its spelling against the manifest schema).");
            }
        }

        var id = RequiredString(root, "id", errors);
        if (id is not null)
        {
            ValidateId(id, origin, errors);
        }

        var name = RequiredString(root, "name", errors);
        var version = RequiredString(root, "version", errors);
        if (version is not null && !SemanticVersion.TryParse(version, out _))
        {
            errors.Add($"'version' is '{version}', which is not a semantic version: use MAJOR.MINOR.PATCH, e.g. \"1.0.0\" or \"2.1.0-beta.1\".");
        }

        // Required of a folder; a manifest built in code (no folder) may leave it out.
        var entryAssembly = folder is null ? OptionalString(root, "entryAssembly", errors) : RequiredString(root, "entryAssembly", errors);
        if (entryAssembly is not null)
        {
            ValidateEntryAssembly(entryAssembly, folder, errors);
        }

        var description = OptionalString(root, "description", errors);
        if (description is null)
        {
            warnings.Add("No 'description': operators see \"No description provided\".");
        }

        var author = OptionalString(root, "author", errors);
        var type = ReadType(root, origin, errors);
        var incompatibility = ReadMinCoreVersion(root, apiVersion, errors, out var minCoreVersion);
        var (dependencies, ranges) = ReadDependencies(root, id, errors);
        var permissions = ReadPermissions(root, type, errors, warnings);
        var settings = ReadSettings(root, errors);
        var (eventDomains, eventEmitters) = ReadEventDomains(root, id, errors);
        var isolation = OptionalString(root, "isolation", errors);
        if (isolation is not null and not ("inprocess" or "process"))
        {
            errors.Add($"'isolation' is '{isolation}'; use \"process\" (run in a sandboxed child process) or \"inprocess\".");
        }
        var autoEnable = true;
        if (root.TryGetProperty("auto_enable_on_install", out var auto))
        {
            if (auto.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                autoEnable = auto.GetBoolean();
            }
            else
            {
                errors.Add($"'auto_enable_on_install' must be true or false, not a {Kind(auto)}.");
            }
        }

        if (errors.Count > 0 || id is null || name is null || version is null)
        {
            return Invalid(folder ?? "", origin, errors, warnings, id is not null && IsValidId(id) ? id : null);
        }

        var manifest = new ModuleManifest
        {
            Id = id,
            Name = name,
            Version = version,
            EntryAssembly = entryAssembly,
            Description = description ?? "No description provided",
            Author = author ?? "Unknown",
            Type = type,
            MinCoreVersion = minCoreVersion,
            Dependencies = dependencies,
            Permissions = permissions,
            SettingsSchema = settings,
            AutoEnableOnInstall = autoEnable,
            EventDomains = eventDomains,
            EventEmitters = eventEmitters,
            Isolation = isolation,
        };
        return new PluginDescriptor(folder ?? "", origin, manifest, errors, warnings, incompatibility, ranges);
    }

    public static bool IsValidId(string id) => id.Length is > 0 and <= 128 && IdShape(id);

    private static bool IdShape(string id)
    {
        var previousSeparator = true;
        foreach (var c in id)
        {
            if (c is '.' or '_' or '-')
            {
                if (previousSeparator)
                {
                    return false;
                }

                previousSeparator = true;
            }
            else if (char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c))
            {
                previousSeparator = false;
            }
            else
            {
                return false;
            }
        }

        return !previousSeparator;
    }

    private static void ValidateId(string id, PluginOrigin origin, List<string> errors)
    {
        if (!IsValidId(id))
        {
            errors.Add($"'id' is '{id}': use 1-128 lower-case letters and digits in segments joined by '.', '_' or '-' " +
                       "(no '/', no spaces, no leading, trailing or doubled separators), e.g. \"lyndrix.plugin.hello\".");
        }
        else if (id == PluginRules.CoreOwner)
        {
            errors.Add($"'id' is '{id}', which names the host itself (the owner of core subscriptions and providers). Choose another id, e.g. \"lyndrix.plugin.<name>\".");
        }
        else if (origin == PluginOrigin.PluginsDirectory && id.StartsWith(PluginRules.ReservedIdPrefix, StringComparison.Ordinal))
        {
            errors.Add($"'id' is '{id}': ids starting with '{PluginRules.ReservedIdPrefix}' are reserved for first-party modules shipped with the host. " +
                       "Choose another id, e.g. \"lyndrix.plugin.<name>\" or your organisation's prefix.");
        }
    }

    private static void ValidateEntryAssembly(string entryAssembly, string? folder, List<string> errors)
    {
        if (entryAssembly.Length == 0 || entryAssembly != Path.GetFileName(entryAssembly) || entryAssembly.Contains('\\', StringComparison.Ordinal) ||
            entryAssembly is "." or "..")
        {
            errors.Add($"'entryAssembly' is '{entryAssembly}': give the file name only (e.g. \"MyPlugin.dll\"), not a path; it must lie in the plugin folder.");
        }
        else if (!entryAssembly.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"'entryAssembly' is '{entryAssembly}': it must name a .dll file, e.g. \"MyPlugin.dll\".");
        }
        else if (folder is not null && !File.Exists(Path.Combine(folder, entryAssembly)))
        {
            var dlls = Directory.EnumerateFiles(folder, "*.dll").Select(Path.GetFileName).Order(StringComparer.Ordinal).Take(10).ToArray();
            errors.Add($"'entryAssembly' names '{entryAssembly}', which is not in {folder}" +
                       (dlls.Length == 0 ? " (the folder holds no .dll at all: was the plugin published into it?)." : $" (found: {string.Join(", ", dlls)}).") +
                       " Publish the plugin into the folder, or fix the name (it is case-sensitive on Linux).");
        }
    }

    private static ModuleType ReadType(JsonElement root, PluginOrigin origin, List<string> errors)
    {
        if (!root.TryGetProperty("type", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return ModuleType.Plugin;
        }

        var text = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        if (string.Equals(text, "PLUGIN", StringComparison.OrdinalIgnoreCase))
        {
            return ModuleType.Plugin;
        }

        if (string.Equals(text, "CORE", StringComparison.OrdinalIgnoreCase))
        {
            if (origin == PluginOrigin.PluginsDirectory)
            {
                errors.Add("'type' is \"CORE\", which is reserved for first-party modules shipped with the host; a plugin from PLUGINS_DIR " +
                           "is always a PLUGIN. Remove the field or set it to \"PLUGIN\".");
            }

            return ModuleType.Core;
        }

        errors.Add($"'type' must be \"PLUGIN\" (or \"CORE\" for modules shipped with the host), not {element.GetRawText()}.");
        return ModuleType.Plugin;
    }

    private static string? ReadMinCoreVersion(JsonElement root, SemanticVersion apiVersion, List<string> errors, out string? minCoreVersion)
    {
        minCoreVersion = null;
        if (!root.TryGetProperty("min_core_version", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            errors.Add($"'min_core_version' must be a version string such as \"1.0.0\", not a {Kind(element)}.");
            return null;
        }

        minCoreVersion = element.GetString()!;
        if (!VersionRange.TryParse(">=" + minCoreVersion, out _, out _) || minCoreVersion.Trim().Length == 0 || minCoreVersion.Contains(' ', StringComparison.Ordinal))
        {
            errors.Add($"'min_core_version' is '{minCoreVersion}', which is not a version: use MAJOR.MINOR.PATCH such as \"1.0.0\".");
            return null;
        }

        var needed = VersionRange.Parse(">=" + minCoreVersion);
        return needed.IsSatisfiedBy(apiVersion)
            ? null
            : $"The plugin needs plugin API {minCoreVersion} or newer (min_core_version); this host provides {apiVersion}. " +
              "Upgrade the host, or install a plugin version made for this API.";
    }

    private static (IReadOnlyList<ModuleDependency>, IReadOnlyDictionary<string, VersionRange>) ReadDependencies(JsonElement root, string? selfId, List<string> errors)
    {
        var list = new List<ModuleDependency>();
        var ranges = new Dictionary<string, VersionRange>(StringComparer.Ordinal);
        if (!root.TryGetProperty("dependencies", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return (list, ranges);
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"'dependencies' must be a list of {{\"id\": ..., \"version\": ...}} objects, not a {Kind(element)}.");
            return (list, ranges);
        }

        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var where = $"dependencies[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"'{where}' must be an object such as {{\"id\": \"lyndrix.plugin.base\", \"version\": \"^1.0\"}}, not a {Kind(item)}.");
                continue;
            }

            var id = RequiredString(item, "id", errors, where);
            var rangeText = OptionalString(item, "version", errors, where)
                            ?? (item.TryGetProperty("version_constraint", out var vc) && vc.ValueKind == JsonValueKind.String ? vc.GetString() : null)
                            ?? "*";
            if (id is null)
            {
                continue;
            }

            if (!IsValidId(id))
            {
                errors.Add($"'{where}.id' is '{id}', which is not a valid plugin id.");
                continue;
            }

            if (id == selfId)
            {
                errors.Add($"'{where}' names the plugin itself; a plugin cannot depend on itself.");
                continue;
            }

            if (ranges.ContainsKey(id))
            {
                errors.Add($"'{where}' lists '{id}' a second time; combine the ranges into one entry (e.g. \">=1.2.0 <2.0.0\").");
                continue;
            }

            if (!VersionRange.TryParse(rangeText, out var range, out var rangeError))
            {
                errors.Add($"'{where}.version': {rangeError}");
                continue;
            }

            ranges[id] = range;
            list.Add(new ModuleDependency { Id = id, Version = range.ToString() });
        }

        return (list, ranges);
    }

    private static ModulePermissions ReadPermissions(JsonElement root, ModuleType type, List<string> errors, List<string> warnings)
    {
        if (!root.TryGetProperty("permissions", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return new ModulePermissions();
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"'permissions' must be an object {{\"subscribe\": [...], \"emit\": [...]}}, not a {Kind(element)}.");
            return new ModulePermissions();
        }

        foreach (var property in element.EnumerateObject())
        {
            if (property.Name is not ("subscribe" or "emit" or "vault_paths"))
            {
                warnings.Add($"Unknown field 'permissions.{property.Name}' is ignored (known: subscribe, emit, vault_paths).");
            }
        }

        var subscribe = ReadTopics(element, "subscribe", errors);
        var emit = ReadTopics(element, "emit", errors);
        if (type != ModuleType.Core)
        {
            foreach (var topic in emit.Where(t => t != "*" && CoreTopics.IsCoreOwned(t)))
            {
                errors.Add($"'permissions.emit' lists '{topic}', but topics of the core's domains ({string.Join(", ", CoreTopics.CoreDomains.Order(StringComparer.Ordinal))}) " +
                           "may only be emitted by the core. Emit a topic of your plugin's own domain instead, e.g. 'myplugin:something'.");
            }
        }

        var vaultPaths = ReadStrings(element, "vault_paths", "permissions.vault_paths", errors);
        if (vaultPaths.Count > 0)
        {
            warnings.Add($"'permissions.vault_paths' ({string.Join(", ", vaultPaths)}) is recorded for review but never granted: " +
                         "a module reads and writes only its own secret path.");
        }

        return new ModulePermissions { Subscribe = subscribe, Emit = emit, VaultPaths = vaultPaths };
    }

    private static (IReadOnlyList<string> Domains, IReadOnlyList<string> Emitters) ReadEventDomains(JsonElement root, string? selfId, List<string> errors)
    {
        var domains = ReadStrings(root, "event_domains", "event_domains", errors);
        foreach (var domain in domains)
        {
            if (!TopicName.IsValid(domain + ":x") || domain.Contains(':', StringComparison.Ordinal))
            {
                errors.Add($"'event_domains' lists '{domain}', which is not a topic domain (lower-case letters, digits, '_', '.', '-').");
            }
            else if (CoreTopics.CoreDomains.Contains(domain))
            {
                errors.Add($"'event_domains' lists '{domain}', a domain of the core; only the core emits there.");
            }
            else if (domain == selfId)
            {
                errors.Add($"'event_domains' lists the plugin's own id '{domain}', which is its domain anyway; remove it.");
            }
        }

        var emitters = ReadStrings(root, "event_emitters", "event_emitters", errors);
        foreach (var emitter in emitters.Where(e => !IsValidId(e)))
        {
            errors.Add($"'event_emitters' lists '{emitter}', which is not a plugin id.");
        }

        return (domains, emitters);
    }

    private static IReadOnlyList<string> ReadTopics(JsonElement permissions, string field, List<string> errors)
    {
        var topics = ReadStrings(permissions, field, "permissions." + field, errors);
        var valid = new List<string>();
        foreach (var topic in topics)
        {
            if (topic == "*" || TopicName.IsValid(topic))
            {
                valid.Add(topic);
            }
            else
            {
                errors.Add($"'permissions.{field}' lists '{topic}', which is neither '*' nor a topic 'domain:event' " +
                           "(lower-case letters, digits, '_', '.', '-', segments joined by ':').");
            }
        }

        return valid;
    }

    private static IReadOnlyList<SettingDefinition> ReadSettings(JsonElement root, List<string> errors)
    {
        var list = new List<SettingDefinition>();
        if (!root.TryGetProperty("settings_schema", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return list;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"'settings_schema' must be a list of {{\"key\": ..., \"kind\": ...}} objects, not a {Kind(element)}.");
            return list;
        }

        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var index = 0;
        foreach (var item in element.EnumerateArray())
        {
            var where = $"settings_schema[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"'{where}' must be an object such as {{\"key\": \"greeting\", \"kind\": \"str\", \"default\": \"hello\"}}, not a {Kind(item)}.");
                continue;
            }

            var before = errors.Count;
            var key = RequiredString(item, "key", errors, where);
            if (key is not null && !IsValidSettingKey(key))
            {
                errors.Add($"'{where}.key' is '{key}': start with a letter, then letters, digits, '_', '.' or '-'; at most 64 characters.");
            }
            else if (key is not null && !keys.Add(key))
            {
                errors.Add($"'{where}.key' '{key}' is declared twice (keys are compared without regard to case).");
            }

            var kind = OptionalString(item, "kind", errors, where) ?? "str";
            if (!SettingKinds.Contains(kind))
            {
                errors.Add($"'{where}.kind' is '{kind}'; use one of {string.Join(", ", SettingKinds)}.");
            }

            var options = ReadStrings(item, "options", where + ".options", errors);
            var defaultValue = ReadSettingDefault(item, where, kind, options, errors);
            if (kind == "select" && options.Count == 0)
            {
                errors.Add($"'{where}' is a select without 'options'; list the allowed values.");
            }

            if (errors.Count == before && key is not null)
            {
                list.Add(new SettingDefinition
                {
                    Key = key,
                    Label = OptionalString(item, "label", errors, where),
                    Kind = kind,
                    Options = options,
                    Description = OptionalString(item, "description", errors, where),
                    Default = defaultValue,
                });
            }
        }

        return list;
    }

    private static string? ReadSettingDefault(JsonElement item, string where, string kind, IReadOnlyList<string> options, List<string> errors)
    {
        if (!item.TryGetProperty("default", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        string? text = element.ValueKind switch
        {
            JsonValueKind.String => element.GetString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number when element.TryGetInt64(out var n) => n.ToString(CultureInfo.InvariantCulture),
            _ => null,
        };
        if (text is null)
        {
            errors.Add($"'{where}.default' must be a string, a boolean or a whole number, not {element.GetRawText()}.");
            return null;
        }

        var problem = PluginRules.SettingValueProblem(kind, options, text);
        if (problem is not null)
        {
            errors.Add($"'{where}.default' {problem}");
        }

        if (kind == "secret")
        {
            errors.Add($"'{where}' is a secret with a default in the manifest; secrets never live in plugin.json. Remove the default and store the value with SetSecretAsync.");
        }

        return text;
    }

    public static bool IsValidSettingKey(string key) =>
        key.Length is > 0 and <= 64 && char.IsAsciiLetter(key[0]) && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    private static IReadOnlyList<string> ReadStrings(JsonElement parent, string field, string where, List<string> errors)
    {
        if (!parent.TryGetProperty(field, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"'{where}' must be a list of strings, not a {Kind(element)}.");
            return [];
        }

        var list = new List<string>();
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String)
            {
                list.Add(item.GetString()!);
            }
            else
            {
                errors.Add($"'{where}' must hold strings only; found {item.GetRawText()}.");
            }
        }

        return list;
    }

    private static string? RequiredString(JsonElement parent, string field, List<string> errors, string? where = null)
    {
        var name = where is null ? field : $"{where}.{field}";
        if (!parent.TryGetProperty(field, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            errors.Add($"'{name}' is missing; it is required.");
            return null;
        }

        if (element.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(element.GetString()))
        {
            errors.Add($"'{name}' must be a non-empty string, not {element.GetRawText()}.");
            return null;
        }

        return element.GetString();
    }

    private static string? OptionalString(JsonElement parent, string field, List<string> errors, string? where = null)
    {
        if (!parent.TryGetProperty(field, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            errors.Add($"'{(where is null ? field : $"{where}.{field}")}' must be a string, not {element.GetRawText()}.");
            return null;
        }

        return element.GetString();
    }

    private static PluginDescriptor Invalid(string folder, PluginOrigin origin, List<string> errors, List<string> warnings, string? id = null) =>
        new(folder, origin, null, errors, warnings, null, new Dictionary<string, VersionRange>())
        {
            KnownId = id,
        };

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "list",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => "value",
    };

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
