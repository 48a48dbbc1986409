using System.Diagnostics.CodeAnalysis;
using Lyndrix.Sdk;

namespace Lyndrix.Core.Modules;

/// <summary>The runtime's record of one plugin. Changed only by <see cref="PluginRuntime"/> while it holds its gate; read by
/// listings at any time without a lock: every property is one reference or value, and state and reason change together as one
/// <see cref="PluginStatus"/> (through <see cref="Move"/>, which checks the move).</summary>
internal sealed class PluginEntry(PluginDescriptor descriptor)
{
    public PluginDescriptor Descriptor { get; set; } = descriptor;

    public string Id => Descriptor.Key;

    /// <summary>The manifest of a plugin that may start (valid, on a plugin API this host has); null for an invalid or degraded
    /// plugin, whose code never loads. The runtime reaches a manifest only through it (or <see cref="RequireManifest"/>), so the
    /// compiler's null analysis keeps the two kinds apart: an entry is one or the other, and a reload may turn it into the other
    /// in place (it keeps its id, preferences and events).</summary>
    public ModuleManifest? Manifest => Descriptor is { IsValid: true, Incompatibility: null } d ? d.Manifest : null;

    /// <summary>Valid manifest and a compatible plugin API: the plugin may start.</summary>
    [MemberNotNullWhen(true, nameof(Manifest))]
    public bool IsUsable => Manifest is not null;

    /// <summary>The manifest, where only a usable plugin can be (starting, persisting its choice): anything else is a fault of the host.</summary>
    public ModuleManifest RequireManifest() => Manifest ?? throw new InvalidOperationException(
        $"Plugin '{Id}' has no usable manifest ({PluginStates.Name(State)}); only a usable plugin can be started or enabled. This is a fault of the host.");

    private volatile PluginStatus _status = new(PluginState.Initializing, null);
    private volatile WeakReference[] _held = [];

    /// <summary>The state and its reason, as one value.</summary>
    public PluginStatus Status => _status;

    public PluginState State => _status.State;

    public string? Reason => _status.Reason;

    /// <summary>Moves the plugin to <paramref name="state"/> with its reason; a move <see cref="PluginStates.CanMove"/> forbids
    /// is a fault of the host, never of a plugin, and throws without changing anything.</summary>
    public void Move(PluginState state, string? reason)
    {
        var from = State;
        if (!PluginStates.CanMove(from, state))
        {
            throw new InvalidOperationException(
                $"Plugin '{Id}' cannot move from {PluginStates.Name(from)} to {PluginStates.Name(state)}; this is a fault of the host.");
        }

        _status = new PluginStatus(state, reason);
    }

    /// <summary>The operator's choice, persisted through <see cref="Data.IPluginStateStore"/>.</summary>
    public bool Enabled { get; set; }

    /// <summary>The plugin's code, while loaded.</summary>
    public LoadedPlugin? Code { get; set; }

    /// <summary>The plugin's child process, while it runs isolated.</summary>
    public Isolation.IsolatedModule? Isolated { get; set; }

    /// <summary>The running module instance (only while active).</summary>
    public ILyndrixModule? Module { get; set; }

    /// <summary>The context of the current activation (from setup until cleanup).</summary>
    public ModuleContext? Context { get; set; }

    /// <summary>How the folder was last verified: builtin, any, pinned, signed:&lt;key id&gt; or refused.</summary>
    public string? Trust { get; set; }

    /// <summary>Automatic restarts of its crashed process since the operator last enabled or reloaded it, or since it last
    /// ran a minute without crashing (<c>LYNDRIX_PLUGIN_RESTARTS</c>).</summary>
    public int Restarts { get; set; }

    /// <summary>When it last became active (<see cref="Environment.TickCount64"/>).</summary>
    public long ActiveSince { get; set; }

    /// <summary>How many load contexts of earlier code an unload could not free are still in memory (each is collected once its
    /// last reference goes; counted, never reused: a reload always loads the new code into a fresh context).</summary>
    public int HeldContexts => _held.Count(c => c.IsAlive);

    /// <summary>Counts a load context an unload could not free (forgetting those collected since).</summary>
    public void Hold(WeakReference context) => _held = [.. _held.Where(c => c.IsAlive), context];

    /// <summary>A setup that timed out and is still running: it keeps the plugin's code alive until it ends.</summary>
    public Task? StraySetup { get; set; }
}
