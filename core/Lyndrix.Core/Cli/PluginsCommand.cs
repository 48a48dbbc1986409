using System.Globalization;
using System.Text;
using System.Text.Json;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Modules;
using Lyndrix.Sdk;

namespace Lyndrix.Core.Cli;

/// <summary><c>lyndrix plugins list|validate|enable|disable|reload|unload|rescan</c>.</summary>
internal sealed partial class PluginsCommand : ICliCommand
{
    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "json", "builtin", "no-load", "force" };

    public string Name => "plugins";

    public string Summary => "List, validate, trust, sign, verify, enable, disable, reload or unload plugins.";

    public string Help =>
        "Usage: lyndrix plugins <subcommand> [options]\n\n" +
        "  list [--json]               Plugins in PLUGINS_DIR and the built-in modules folder, with their manifest status;\n" +
        "                              if a host is running, its live state (active, failed, blocked, ...) and reasons.\n" +
        "  validate PATH [--builtin] [--no-load]\n" +
        "                              Checks a plugin folder (or its plugin.json) without starting the host: the manifest,\n" +
        "                              plugin API compatibility, dependencies against PLUGINS_DIR, shared-assembly versions,\n" +
        "                              and that the entry assembly loads and has exactly one ILyndrixModule (--no-load skips\n" +
        "                              loading). --builtin validates it as a first-party module. Exit code 1 if it would be\n" +
        "                              refused, 3 if it would load but stay blocked by a missing or mismatched dependency.\n" +
        "  enable ID | disable ID | reload ID | unload ID\n" +
        "                              Asks the running host (POST /api/plugins/ID/...). Reload re-reads the folder from disk;\n" +
        "                              unload also releases the plugin's code and reports whether its memory was freed.\n" +
        "  rescan                      Asks the running host to pick up plugin folders added since it started.\n" +
        "                              Exit codes: 0 done; 1 refused or no host answered; 2 usage; 3 done, but a plugin ended\n" +
        "                              failed, blocked or degraded, or its code was NOT unloaded (the output says why).\n\n" +
        "Trust (checked before any code of a PLUGINS_DIR folder loads, and again on enable, reload and rescan):\n" +
        "  trust PATH                  Pins the folder: sends its id, version and the SHA-256 of every file to the running host,\n" +
        "                              which keeps them in the secret store. With LYNDRIX_PLUGIN_TRUST=pinned only folders whose\n" +
        "                              files all match their pin load; any change, added or removed file refuses it.\n" +
        "  untrust ID                  Removes the pin of a plugin.\n" +
        "  sign PATH --key FILE        Writes PATH/plugin.sig: an ECDSA P-256 signature (PEM private key FILE) over the folder's\n" +
        "                              canonical file list. With LYNDRIX_PLUGIN_TRUST=signed a folder loads when its signature\n" +
        "                              verifies against a public key in LYNDRIX_PLUGIN_TRUSTED_KEYS (or it matches its pin).\n" +
        "  verify PATH                 Says whether the host would trust the folder under the current LYNDRIX_PLUGIN_TRUST, and\n" +
        "                              why (pins are read from the running host when a token is given). Exit code 1 if refused.\n\n" +
        "Options for the commands that talk to the host: --url URL (default: where the host listens, from LYNDRIX_BIND, PORT and\n" +
        "LYNDRIX_TLS_CERT; tokens go only to a loopback address or over https), and --token TOKEN\n" +
        "(or LYNDRIX_TOKEN): an administrator's session token from POST /api/auth/login; the plugin API is admin-only.\n" +
        "Settings read: PLUGINS_DIR, LYNDRIX_BUILTIN_MODULES_DIR, PORT, LYNDRIX_TOKEN, LYNDRIX_PLUGIN_TRUST (any in dev, pinned\n" +
        "otherwise), LYNDRIX_PLUGIN_TRUSTED_KEYS (comma-separated PEM public keys).";

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var parsed = new CliArguments(args, Flags);
        if (parsed.Positional.Count == 0)
        {
            throw new CliUsageException("Name a subcommand: list, validate, trust, untrust, sign, verify, enable, disable, reload, unload or rescan.");
        }

        var host = HostSettings.Load(context.Config, context.WorkingDirectory);

        var sub = parsed.Positional[0];
        var rest = parsed.Positional.Skip(1).ToList();
        var address = HostAddress.Resolve(context, parsed.Get("url"));
        var token = parsed.Get("token") ?? context.Config.Get("LYNDRIX_TOKEN");
        if (sub != "validate")
        {
            if (!string.IsNullOrEmpty(token))
            {
                address.RequireSafeFor("a session token");
            }

            if (address.DotEnvNote is { } note)
            {
                await context.Error.WriteLineAsync(note).ConfigureAwait(false);
            }
        }

        var api = new PluginsCommandClient(address.BaseUri.AbsoluteUri.TrimEnd('/'), token);
        switch (sub)
        {
            case "list":
                NoArguments(sub, rest);
                return await ListAsync(context, host, api, parsed.Has("json"), cancellationToken).ConfigureAwait(false);
            case "validate":
                if (rest.Count != 1)
                {
                    throw new CliUsageException("'plugins validate' takes one PATH: a plugin folder or its plugin.json.");
                }

                return await ValidateAsync(context, host, rest[0], parsed.Has("builtin"), !parsed.Has("no-load")).ConfigureAwait(false);
            case "enable" or "disable" or "reload" or "unload":
                if (rest.Count != 1)
                {
                    throw new CliUsageException($"'plugins {sub}' takes one plugin id.");
                }

                return await PostAsync(context, api, $"/api/plugins/{Uri.EscapeDataString(rest[0])}/{sub}", cancellationToken).ConfigureAwait(false);
            case "rescan":
                NoArguments(sub, rest);
                return await PostAsync(context, api, "/api/plugins/rescan", cancellationToken).ConfigureAwait(false);
            case "trust":
                return await TrustAsync(context, api, OnePath(sub, rest), cancellationToken).ConfigureAwait(false);
            case "untrust":
                return await UntrustAsync(context, api, OnePath(sub, rest), cancellationToken).ConfigureAwait(false);
            case "sign":
                return await SignAsync(context, OnePath(sub, rest), parsed.Require("key")).ConfigureAwait(false);
            case "verify":
                return await VerifyAsync(context, api, OnePath(sub, rest), cancellationToken).ConfigureAwait(false);
            default:
                throw new CliUsageException($"Unknown subcommand '{sub}'.");
        }
    }

    private static void NoArguments(string sub, List<string> rest)
    {
        if (rest.Count > 0)
        {
            throw new CliUsageException($"'plugins {sub}' takes no arguments (got '{string.Join(' ', rest)}').");
        }
    }

    private static async Task<int> ListAsync(CliContext context, HostSettings host, PluginsCommandClient api, bool json, CancellationToken cancellationToken)
    {
        var url = api.Url;
        var runtimeSettings = PluginRuntimeSettings.Read(host);
        var onDisk = PluginDiscovery.Scan(runtimeSettings.BuiltInModulesDir, runtimeSettings.PluginsDir);
        var (live, liveProblem) = await api.TryListAsync(cancellationToken).ConfigureAwait(false);
        if (json)
        {
            var rows = onDisk.Select(d => Row(d, live)).ToList();
            await context.Out.WriteLineAsync(JsonSerializer.Serialize(new { host = live is null ? null : url, plugins = rows })).ConfigureAwait(false);
            return 0;
        }

        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Plugins in {runtimeSettings.PluginsDir} (PLUGINS_DIR) and {runtimeSettings.BuiltInModulesDir} (built-in).\n");
        text.Append(live is null
            ? $"{liveProblem}: showing what is on disk (state = what the manifest allows).\n"
            : $"Host at {url}: live states.\n");
        if (onDisk.Count == 0)
        {
            text.Append("No plugin folders found.\n");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"{"ID",-32} {"VERSION",-12} {"STATE",-12} {"ORIGIN",-11} NOTE\n");
            foreach (var d in onDisk)
            {
                var row = Row(d, live);
                text.Append(CultureInfo.InvariantCulture, $"{row.Id,-32} {row.Version ?? "-",-12} {row.State,-12} {row.Origin,-11} {row.Note}\n");
            }
        }

        await context.Out.WriteAsync(text.ToString()).ConfigureAwait(false);
        return 0;
    }

    private static PluginsCommandRow Row(PluginDescriptor d, IReadOnlyDictionary<string, PluginInfo>? live)
    {
        var origin = d.Origin == PluginOrigin.BuiltIn ? "builtin" : "plugins_dir";
        if (live is not null && live.TryGetValue(d.Key, out var info))
        {
            var trust = (info.Trust is null ? "" : $"[trust: {info.Trust}] ") + (info.ProcessId is { } pid ? $"[process {pid}] " : "");
            return new PluginsCommandRow(d.Key, info.Version, PluginStates.Name(info.State), origin, trust + (info.Reason ?? ""));
        }

        if (!d.IsValid)
        {
            return new PluginsCommandRow(d.Key, null, "invalid", origin, string.Join(" ", d.Errors));
        }

        return d.Incompatibility is not null
            ? new PluginsCommandRow(d.Key, d.Manifest!.Version, "degraded", origin, d.Incompatibility)
            : new PluginsCommandRow(d.Key, d.Manifest!.Version, live is null ? "valid" : "not loaded", origin,
                live is null ? "" : "The running host has not picked this folder up; 'lyndrix plugins rescan' does.");
    }

    private static async Task<int> PostAsync(CliContext context, PluginsCommandClient api, string path, CancellationToken cancellationToken)
    {
        var (status, body, error) = await api.PostAsync(path, cancellationToken).ConfigureAwait(false);
        if (await ReportNoAnswerAsync(context, status, error).ConfigureAwait(false))
        {
            return 1;
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            await context.Error.WriteLineAsync($"The host answered {status} with something that is not the plugin API's JSON; is {api.Url} a Lyndrix host?").ConfigureAwait(false);
            return 1;
        }

        using var _ = doc;
        if (status is < 200 or > 299)
        {
            await context.Error.WriteLineAsync($"The host refused ({status}): {HostProblem.Detail(body, null)}").ConfigureAwait(false);
            return 1;
        }

        await context.Out.WriteLineAsync(Describe(doc.RootElement)).ConfigureAwait(false);
        return Outcome(doc.RootElement);
    }

    /// <summary>The host did what was asked, but the plugin is not where the operator wanted it: exit code 3 (failed, blocked or
    /// degraded afterwards, or its code still in memory), so scripts cannot take it for success.</summary>
    private static int Outcome(JsonElement result)
    {
        var plugins = result.TryGetProperty("added", out var added) ? added.EnumerateArray().ToList()
            : [result.TryGetProperty("plugin", out var p) ? p : result];
        var unwell = plugins.Any(p => PluginStates.TryParse(p.GetProperty("state").GetString(), out var state) && state is PluginState.Failed or PluginState.Blocked or PluginState.Degraded);
        var held = result.TryGetProperty("unloaded", out var unloaded) && !unloaded.GetBoolean();
        return unwell || held ? 3 : 0;
    }

    private static string Describe(JsonElement result)
    {
        if (result.TryGetProperty("added", out var added))
        {
            var ids = added.EnumerateArray().Select(p => $"{p.GetProperty("id").GetString()} ({p.GetProperty("state").GetString()})").ToList();
            return ids.Count == 0 ? "No new plugin folders." : "Added: " + string.Join(", ", ids);
        }

        var plugin = result.TryGetProperty("plugin", out var p) ? p : result;
        var line = $"{plugin.GetProperty("id").GetString()}: {plugin.GetProperty("state").GetString()}";
        if (plugin.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String)
        {
            line += " - " + reason.GetString();
        }

        if (result.TryGetProperty("unloaded", out var unloaded))
        {
            line += "\n" + (unloaded.GetBoolean() ? "Code unloaded: " : "Code NOT unloaded: ") + result.GetProperty("detail").GetString();
        }

        return line;
    }

    private static async Task<int> ValidateAsync(CliContext context, HostSettings host, string path, bool builtIn, bool load)
    {
        var full = Path.GetFullPath(path, context.WorkingDirectory);
        var folder = File.Exists(full) && Path.GetFileName(full) == PluginManifestReader.FileName ? Path.GetDirectoryName(full)! : full;
        if (!Directory.Exists(folder))
        {
            await context.Error.WriteLineAsync($"{folder} is not a folder. Pass the plugin folder (the publish output) or its plugin.json.").ConfigureAwait(false);
            return 1;
        }

        var report = new StringBuilder();
        var descriptor = PluginManifestReader.Read(folder, builtIn ? PluginOrigin.BuiltIn : PluginOrigin.PluginsDirectory);
        var refused = !descriptor.IsValid || descriptor.Incompatibility is not null;
        var blocked = false;
        report.Append(CultureInfo.InvariantCulture, $"Validating {folder} as a {(builtIn ? "built-in module" : "plugin from PLUGINS_DIR")} (plugin API {LyndrixApi.Version}).\n");
        foreach (var error in descriptor.Errors)
        {
            report.Append(CultureInfo.InvariantCulture, $"  error: {error}\n");
        }

        if (descriptor.Incompatibility is not null)
        {
            report.Append(CultureInfo.InvariantCulture, $"  error: {descriptor.Incompatibility}\n");
        }

        foreach (var warning in descriptor.Warnings)
        {
            report.Append(CultureInfo.InvariantCulture, $"  warning: {warning}\n");
        }

        if (descriptor.IsValid)
        {
            var m = descriptor.Manifest!;
            report.Append(CultureInfo.InvariantCulture, $"  manifest: {m.Id} {m.Version}, entry {m.EntryAssembly}\n");
            blocked = AppendDependencies(report, descriptor, host);
            var shared = SharedAssemblyPolicy.Host.CheckFolder(folder);
            foreach (var problem in shared)
            {
                report.Append(CultureInfo.InvariantCulture, $"  error: {problem}\n");
            }

            refused |= shared.Count > 0;
            if (shared.Count == 0 && load)
            {
                refused |= !TryLoad(descriptor, report);
            }
        }

        report.Append(refused ? "Result: the host would refuse this plugin.\n"
            : blocked ? "Result: the host would accept this plugin, but it would stay blocked until its dependencies are installed (see the warnings).\n"
            : "Result: the host would load this plugin.\n");
        await (refused || blocked ? context.Error : context.Out).WriteAsync(report.ToString()).ConfigureAwait(false);
        return refused ? 1 : blocked ? 3 : 0;
    }

    /// <returns>Whether a dependency would keep the plugin blocked.</returns>
    private static bool AppendDependencies(StringBuilder report, PluginDescriptor descriptor, HostSettings host)
    {
        if (descriptor.Manifest!.Dependencies.Count == 0)
        {
            return false;
        }

        var blocked = false;
        var runtimeSettings = PluginRuntimeSettings.Read(host);
        var installed = PluginDiscovery.Scan(runtimeSettings.BuiltInModulesDir, runtimeSettings.PluginsDir)
            .Where(d => d.IsValid && d.Folder != descriptor.Folder)
            .ToDictionary(d => d.Manifest!.Id, StringComparer.Ordinal);
        foreach (var dependency in descriptor.Manifest.Dependencies)
        {
            var range = descriptor.DependencyRanges[dependency.Id];
            var note = installed.TryGetValue(dependency.Id, out var target)
                ? range.IsSatisfiedBy(target.Version!) ? $"ok ({target.Manifest!.Version} installed)" : $"version {target.Manifest!.Version} installed does not satisfy {range}: the plugin would be blocked"
                : $"not in {runtimeSettings.PluginsDir}: the plugin would be blocked until it is installed";
            var ok = note.StartsWith("ok", StringComparison.Ordinal);
            blocked |= !ok;
            report.Append(CultureInfo.InvariantCulture, $"  {(ok ? "dependency" : "warning")}: {dependency.Id} {range}: {note}\n");
        }

        return blocked;
    }

    /// <summary>Loads the plugin's code into a collectible context (no setup runs), reports its entry type, unloads it.</summary>
    private static bool TryLoad(PluginDescriptor descriptor, StringBuilder report)
    {
        try
        {
            var loaded = PluginCodeLoader.Load(descriptor, SharedAssemblyPolicy.Host);
            report.Append(CultureInfo.InvariantCulture, $"  entry: {loaded.ModuleTypeName} implements ILyndrixModule; shared types resolve to the host's.\n");
            loaded.Unload();
            return true;
        }
        catch (PluginLoadException ex)
        {
            report.Append(CultureInfo.InvariantCulture, $"  error: {ex.Message}\n");
            return false;
        }
    }
}
