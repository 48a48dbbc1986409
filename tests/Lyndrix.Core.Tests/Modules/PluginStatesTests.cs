using System.Text.Json;
using Lyndrix.Core.Modules;

namespace Lyndrix.Core.Tests.Modules;

/// <summary>The lifecycle table and the states' spelling on the wire.</summary>
public sealed class PluginStatesTests
{
    [Test]
    public void A_plugin_becomes_active_only_from_initializing_failed_only_while_it_starts_or_runs_and_is_stopped_before_anything_else()
    {
        var intoActive = PluginStates.All.Where(from => PluginStates.CanMove(from, PluginState.Active));
        var intoFailed = PluginStates.All.Where(from => PluginStates.CanMove(from, PluginState.Failed));
        Assert.That(intoActive, Is.EqualTo(new[] { PluginState.Initializing }));
        Assert.That(intoFailed, Is.EquivalentTo(new[] { PluginState.Initializing, PluginState.Active }));
        Assert.That(PluginStates.CanMove(PluginState.Active, PluginState.Degraded), Is.False, "a running plugin is stopped first");
        Assert.That(new[] { PluginState.Initializing, PluginState.Disabled, PluginState.Blocked },
            Has.All.Matches<PluginState>(to => PluginStates.All.All(from => PluginStates.CanMove(from, to))),
            "an operator's enable, disable, reload or unload is accepted in every state");
    }

    [Test]
    public void A_forbidden_move_throws_names_it_and_changes_nothing()
    {
        var entry = new PluginEntry(new PluginDescriptor("/nowhere/p", PluginOrigin.PluginsDirectory, null, ["no manifest"], [], null,
            new Dictionary<string, VersionRange>()) { KnownId = "test.p" });
        entry.Move(PluginState.Disabled, null);

        var ex = Assert.Throws<InvalidOperationException>(() => entry.Move(PluginState.Active, null));
        Assert.That(ex!.Message, Does.Contain("'test.p'").And.Contain("from disabled to active"));
        Assert.That(entry.Status, Is.EqualTo(new PluginStatus(PluginState.Disabled, null)));
    }

    [Test]
    public void States_are_spelled_in_lower_case_on_the_wire_and_an_unknown_one_is_a_clear_error()
    {
        Assert.That(PluginStates.All.Select(PluginStates.Name), Is.EqualTo(new[] { "initializing", "active", "disabled", "blocked", "failed", "degraded" }));
        Assert.That(JsonSerializer.Serialize(PluginState.Blocked), Is.EqualTo("\"blocked\""));
        Assert.That(JsonSerializer.Deserialize<PluginState>("\"degraded\""), Is.EqualTo(PluginState.Degraded));
        var ex = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<PluginState>("\"Active\""));
        Assert.That(ex!.Message, Does.Contain("'Active' is not a plugin state"));
    }
}
