using Lyndrix.Core.Modules;
using Lyndrix.Sdk;

namespace Lyndrix.Core.Tests.Modules;

public sealed class DependencyPlanTests
{
    private static PluginDescriptor Plugin(string id, string version = "1.0.0", params (string Id, string Range)[] dependencies) =>
        new($"/plugins/{id}", PluginOrigin.PluginsDirectory,
            new ModuleManifest
            {
                Id = id,
                Name = id,
                Version = version,
                EntryAssembly = id + ".dll",
                Dependencies = dependencies.Select(d => new ModuleDependency { Id = d.Id, Version = d.Range }).ToList(),
            },
            [], [], null, dependencies.ToDictionary(d => d.Id, d => VersionRange.Parse(d.Range)));

    [Test]
    public void Orders_by_dependencies_whatever_the_scan_order()
    {
        var a = Plugin("a");
        var b = Plugin("b", "1.0.0", ("a", "*"));
        var c = Plugin("c", "1.0.0", ("b", "^1.0"), ("a", ">=1.0.0"));
        var z = Plugin("z");
        foreach (var order in new[] { new[] { a, b, c, z }, [c, b, a, z], [z, c, a, b] })
        {
            var plan = DependencyPlan.Build(order);
            Assert.That(plan.Levels, Is.EqualTo(new[] { new[] { "a", "z" }, ["b"], ["c"] }).AsCollection, string.Join(",", order.Select(p => p.Key)));
            Assert.That(plan.Blocked, Is.Empty);
        }
    }

    [Test]
    public void Blocks_a_plugin_whose_dependency_is_missing_and_everything_downstream()
    {
        var plan = DependencyPlan.Build([Plugin("a", "1.0.0", ("ghost", "^2.0")), Plugin("b", "1.0.0", ("a", "*")), Plugin("c")]);
        Assert.That(plan.Blocked["a"], Does.Contain("ghost ^2.0").And.Contain("not installed"));
        Assert.That(plan.Blocked["b"], Does.Contain("needs a, which is blocked"));
        Assert.That(plan.Order, Is.EqualTo(new[] { "c" }));
    }

    [Test]
    public void Blocks_a_plugin_whose_dependency_has_the_wrong_version()
    {
        var plan = DependencyPlan.Build([Plugin("base", "1.4.0"), Plugin("app", "1.0.0", ("base", ">=2.0.0 <3.0.0"))]);
        Assert.That(plan.Blocked["app"], Does.Contain("needs base >=2.0.0 <3.0.0, but version 1.4.0 is installed"));
        Assert.That(plan.Order, Is.EqualTo(new[] { "base" }));
    }

    [Test]
    public void Reports_a_cycle_with_its_path_and_keeps_the_rest_startable()
    {
        var plan = DependencyPlan.Build([Plugin("a", "1.0.0", ("b", "*")), Plugin("b", "1.0.0", ("c", "*")), Plugin("c", "1.0.0", ("a", "*")),
            Plugin("d", "1.0.0", ("a", "*")), Plugin("free")]);
        Assert.That(plan.Blocked["a"], Does.Contain("dependency cycle a -> b -> c -> a"));
        Assert.That(plan.Blocked["b"], Does.Contain("cycle"));
        Assert.That(plan.Blocked["d"], Does.Contain("cycle").Or.Contain("blocked"));
        Assert.That(plan.Order, Is.EqualTo(new[] { "free" }));
    }

    [Test]
    public void Blocks_dependents_of_an_unusable_plugin()
    {
        var degraded = Plugin("old") with { Incompatibility = "needs a newer API" };
        var plan = DependencyPlan.Build([degraded, Plugin("user", "1.0.0", ("old", "*"))]);
        Assert.That(plan.Blocked["user"], Does.Contain("old").And.Contain("cannot start"));
    }
}
