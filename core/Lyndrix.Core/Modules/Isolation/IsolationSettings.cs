using System.Collections.Concurrent;
using System.Globalization;
using Lyndrix.Core.Configuration;
using Lyndrix.Sdk;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Modules.Isolation;

/// <summary>
/// Where plugins run: <c>LYNDRIX_PLUGIN_ISOLATION</c> (<c>inprocess</c> default, or <c>process</c>) for plugins from
/// <c>PLUGINS_DIR</c>, <c>LYNDRIX_PLUGIN_&lt;ID&gt;_ISOLATION</c> per plugin, and <c>"isolation"</c> in the manifest: the
/// stricter wins; first-party modules stay in-process. For isolated plugins: the child command, its working directories
/// (<c>STORAGE_DIR/plugins/&lt;id&gt;</c>) and <c>LYNDRIX_PLUGIN_&lt;ID&gt;_MEMORY_MB</c>. What follows from them once per host is kept
/// here too: the working directories' root made, the plugin accounts looked up, the executable for other accounts copied.
/// </summary>
internal sealed record IsolationSettings
{
    public const string InProcess = "inprocess";
    public const string Process = "process";

    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, PluginUser> _accounts = new(StringComparer.Ordinal);
    private bool _workRootReady;
    private ChildExecutable? _executable;

    /// <summary>The default of <see cref="Spares"/>.</summary>
    public const int DefaultSpares = 1;

    public required string DefaultMode { get; init; }

    /// <summary>The host executable and its leading arguments (<c>dotnet lyndrix.dll</c> or the apphost).</summary>
    public required IReadOnlyList<string> Command { get; init; }

    public required string WorkRoot { get; init; }

    public required IConfigSource Config { get; init; }

    /// <summary><c>LYNDRIX_PLUGIN_RESTARTS</c>: how many times a crashed isolated plugin is started again (with backoff)
    /// before it stays failed; 0 (default) never.</summary>
    public int Restarts { get; init; }

    /// <summary><c>LYNDRIX_PLUGIN_SPARES</c>: plugin processes kept started ahead of need, per account (default 1; 0 turns
    /// it off). Each costs an idle .NET process; it makes an isolated plugin's start as quick as loading its code.</summary>
    public int Spares { get; init; } = DefaultSpares;

    public static IsolationSettings Read(SettingsReader r, string storageDir)
    {
        var mode = r.String("LYNDRIX_PLUGIN_ISOLATION", InProcess).Trim().ToLowerInvariant();
        if (mode is not (InProcess or Process))
        {
            r.Problem("LYNDRIX_PLUGIN_ISOLATION", $"must be inprocess or process (got '{mode}')");
            mode = InProcess;
        }

        var restarts = r.Int("LYNDRIX_PLUGIN_RESTARTS", 0, 0, 100);
        var spares = r.Int("LYNDRIX_PLUGIN_SPARES", DefaultSpares, 0, 8);
        return new IsolationSettings
        {
            DefaultMode = mode, Command = HostCommand(), WorkRoot = Path.Combine(storageDir, "plugins"), Config = r.Source, Restarts = restarts, Spares = spares,
        };
    }

    /// <summary>How to start this executable again: the apphost itself, or <c>dotnet</c> with the entry assembly.</summary>
    public static IReadOnlyList<string> HostCommand()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? [process, System.Reflection.Assembly.GetEntryAssembly()!.Location]
            : [process];
    }

    /// <summary>The stricter of the manifest's request and the operator's setting; built-in modules always in-process, and so is
    /// a plugin without a readable manifest (its code never loads anywhere).</summary>
    public string ModeFor(PluginDescriptor descriptor)
    {
        if (descriptor.Origin == PluginOrigin.BuiltIn || descriptor.Manifest is not { } manifest)
        {
            return InProcess;
        }

        var perPlugin = Config.Get(ModuleSettings.VariableName(manifest.Id, "ISOLATION"))?.Trim().ToLowerInvariant();
        return manifest.Isolation == Process || DefaultMode == Process || perPlugin == Process ? Process : InProcess;
    }

    public int? MemoryLimitMb(string id) =>
        int.TryParse(Config.Get(ModuleSettings.VariableName(id, "MEMORY_MB")), NumberStyles.Integer, CultureInfo.InvariantCulture, out var mb) && mb > 0 ? mb : null;

    /// <summary>The account the plugin's process runs as: <c>LYNDRIX_PLUGIN_&lt;ID&gt;_USER</c>, else <c>LYNDRIX_PLUGIN_USER</c>;
    /// null runs it as the host's own account.</summary>
    public (string Setting, string Name)? UserFor(string id)
    {
        var perPlugin = ModuleSettings.VariableName(id, "USER");
        return Config.Get(perPlugin)?.Trim() is { Length: > 0 } own ? (perPlugin, own)
            : Config.Get("LYNDRIX_PLUGIN_USER")?.Trim() is { Length: > 0 } shared ? ("LYNDRIX_PLUGIN_USER", shared)
            : null;
    }

    /// <summary>The account of <see cref="UserFor"/>, looked up once per host (a failed lookup is tried again next time); null
    /// for the host's own.</summary>
    /// <exception cref="PluginLoadException">The host cannot run a plugin as that account.</exception>
    public PluginUser? AccountFor(string id) =>
        UserFor(id) is { } account ? _accounts.GetOrAdd(account.Name, static (name, setting) => PluginUser.Resolve(name, setting), account.Setting) : null;

    /// <summary>Makes the root of the working directories, once: others may pass through it (to reach their own), never list it.</summary>
    public void PrepareWorkRoot()
    {
        lock (_gate)
        {
            if (_workRootReady)
            {
                return;
            }

            Directory.CreateDirectory(WorkRoot);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(WorkRoot, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }

            _workRootReady = true;
        }
    }

    /// <summary>How a plugin's process for <paramref name="user"/> is started: as another account, from the copy of the apphost
    /// it cannot read (<see cref="ChildExecutable"/>), so it is never dumpable; else (or without that copy) <see cref="Command"/>.</summary>
    public IReadOnlyList<string> CommandFor(PluginUser? user, ILogger logger)
    {
        if (user is null || !OperatingSystem.IsLinux())
        {
            return Command;
        }

        ChildExecutable executable;
        lock (_gate)
        {
            executable = _executable ??= ChildExecutable.For(Command, logger);
        }

        return executable.Ready() is { } copy ? [copy] : Command;
    }
}
