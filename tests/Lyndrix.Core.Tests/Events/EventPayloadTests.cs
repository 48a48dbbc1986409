using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Tests.Events;

public sealed class EventPayloadTests
{
    private sealed class PluginType;

    [Test]
    public void Values_are_normalized_to_shared_types()
    {
        var p = EventPayload.Create(("i", 3), ("f", 1.5f), ("list", new[] { 1, 2 }), ("map", new Dictionary<string, object?> { ["a"] = "b" }));
        Assert.Multiple(() =>
        {
            Assert.That(p["i"], Is.TypeOf<long>());
            Assert.That(p["f"], Is.TypeOf<double>());
            Assert.That(p["list"], Is.InstanceOf<IReadOnlyList<object?>>());
            Assert.That(p["map"], Is.TypeOf<EventPayload>());
        });
    }

    [Test]
    public void Types_that_cannot_cross_the_plugin_boundary_are_refused()
    {
        var ex = Assert.Throws<ArgumentException>(() => EventPayload.Create(("obj", new PluginType())));
        Assert.That(ex!.Message, Does.Contain("obj").And.Contain("cannot cross the plugin boundary"));
    }

    [Test]
    public void Payloads_are_immutable_snapshots()
    {
        var source = new Dictionary<string, object?> { ["a"] = "1" };
        var p = EventPayload.From(source);
        source["a"] = "2";
        var p2 = p.With("a", "3");
        Assert.Multiple(() =>
        {
            Assert.That(p.GetString("a"), Is.EqualTo("1"));
            Assert.That(p2.GetString("a"), Is.EqualTo("3"));
        });
    }

    [Test]
    public void ToJson_writes_nested_values() =>
        Assert.That(EventPayload.Create(("a", 1), ("b", EventPayload.Create(("c", true))), ("d", null)).ToJson(),
            Is.EqualTo("{\"a\":1,\"b\":{\"c\":true},\"d\":null}"));
}
