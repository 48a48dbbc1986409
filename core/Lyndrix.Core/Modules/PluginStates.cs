using System.Collections.Frozen;

namespace Lyndrix.Core.Modules;

/// <summary>The one place that knows how <see cref="PluginState"/> is spelled and which state may follow which.</summary>
internal static class PluginStates
{
    private static readonly PluginState[] Every = Enum.GetValues<PluginState>();
    private static readonly string[] Names = Every.Select(s => s.ToString().ToLowerInvariant()).ToArray();
    private static readonly FrozenDictionary<string, PluginState> ByName = Every.ToFrozenDictionary(Name, StringComparer.Ordinal);

    /// <summary>
    /// The moves the runtime may make. Three rules carry the weight: a plugin becomes <c>active</c> only from
    /// <c>initializing</c> (its setup ran and finished); <c>failed</c> only from <c>initializing</c> or <c>active</c> (something
    /// of its own went wrong while it started or ran); and an active plugin is stopped before anything else is decided about
    /// it, so it never turns <c>degraded</c> directly (a reload passes through <c>initializing</c>). Otherwise every state can be
    /// reached from anywhere, because an operator's enable, disable, reload or unload is accepted in every state.
    /// </summary>
    private static readonly FrozenDictionary<PluginState, FrozenSet<PluginState>> Moves = new Dictionary<PluginState, FrozenSet<PluginState>>
    {
        [PluginState.Initializing] = Set(PluginState.Initializing, PluginState.Active, PluginState.Failed, PluginState.Blocked, PluginState.Disabled, PluginState.Degraded),
        [PluginState.Active] = Set(PluginState.Initializing, PluginState.Failed, PluginState.Blocked, PluginState.Disabled),
        [PluginState.Disabled] = Set(PluginState.Initializing, PluginState.Blocked, PluginState.Disabled, PluginState.Degraded),
        [PluginState.Blocked] = Set(PluginState.Initializing, PluginState.Blocked, PluginState.Disabled, PluginState.Degraded),
        [PluginState.Failed] = Set(PluginState.Initializing, PluginState.Blocked, PluginState.Disabled, PluginState.Degraded),
        [PluginState.Degraded] = Set(PluginState.Initializing, PluginState.Blocked, PluginState.Disabled, PluginState.Degraded),
    }.ToFrozenDictionary();

    /// <summary>Every state, in declaration order (metrics report each, also at zero).</summary>
    public static IReadOnlyList<PluginState> All => Every;

    /// <summary>How the API, events and CLI spell the state.</summary>
    public static string Name(PluginState state) => Names[(int)state];

    public static bool TryParse(string? name, out PluginState state) => ByName.TryGetValue(name ?? "", out state);

    public static bool CanMove(PluginState from, PluginState to) => Moves[from].Contains(to);

    private static FrozenSet<PluginState> Set(params PluginState[] states) => states.ToFrozenSet();
}
