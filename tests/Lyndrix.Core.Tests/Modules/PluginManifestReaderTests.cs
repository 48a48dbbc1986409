using System.Text.Json.Nodes;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk;

namespace Lyndrix.Core.Tests.Modules;

public sealed class PluginManifestReaderTests
{
    private TempDirectory _temp = null!;
    private string _folder = "";

    [SetUp]
    public void SetUp()
    {
        _temp = new TempDirectory("lyndrix-manifest");
        _folder = _temp.Sub("plugin");
        File.WriteAllText(Path.Combine(_folder, "Hello.dll"), "not really an assembly; the reader never loads it");
    }

    [TearDown]
    public void TearDown() => _temp.Dispose();

    private static JsonObject Valid() => new()
    {
        ["id"] = "lyndrix.plugin.hello",
        ["name"] = "Hello",
        ["version"] = "1.2.3",
        ["entryAssembly"] = "Hello.dll",
        ["description"] = "says hello",
        ["author"] = "Ada",
        ["min_core_version"] = "1.0.0",
        ["dependencies"] = new JsonArray(new JsonObject { ["id"] = "lyndrix.plugin.base", ["version"] = "^1.0" }),
        ["permissions"] = new JsonObject
        {
            ["subscribe"] = new JsonArray("system:boot_complete", "vault:ready_for_data"),
            ["emit"] = new JsonArray("hello:greeted"),
        },
        ["settings_schema"] = new JsonArray(
            new JsonObject { ["key"] = "greeting", ["kind"] = "str", ["default"] = "hi" },
            new JsonObject { ["key"] = "loud", ["kind"] = "bool", ["default"] = true },
            new JsonObject { ["key"] = "times", ["kind"] = "int", ["default"] = 3 },
            new JsonObject { ["key"] = "mode", ["kind"] = "select", ["options"] = new JsonArray("a", "b"), ["default"] = "b" },
            new JsonObject { ["key"] = "token", ["kind"] = "secret" }),
        ["auto_enable_on_install"] = false,
        ["icon"] = "waving_hand",
    };

    private PluginDescriptor Read(JsonNode manifest, PluginOrigin origin = PluginOrigin.PluginsDirectory)
    {
        File.WriteAllText(Path.Combine(_folder, "plugin.json"), manifest.ToJsonString());
        return PluginManifestReader.Read(_folder, origin);
    }

    private PluginDescriptor ReadWith(string field, JsonNode? value)
    {
        var manifest = Valid();
        if (value is null)
        {
            manifest.Remove(field);
        }
        else
        {
            manifest[field] = value;
        }

        return Read(manifest);
    }

    [Test]
    public void Reads_a_valid_manifest_with_every_field()
    {
        var d = Read(Valid());
        Assert.That(d.Errors, Is.Empty, string.Join("\n", d.Errors));
        var m = d.Manifest!;
        Assert.Multiple(() =>
        {
            Assert.That(m.Id, Is.EqualTo("lyndrix.plugin.hello"));
            Assert.That(m.Version, Is.EqualTo("1.2.3"));
            Assert.That(m.EntryAssembly, Is.EqualTo("Hello.dll"));
            Assert.That(m.Type, Is.EqualTo(ModuleType.Plugin));
            Assert.That(m.AutoEnableOnInstall, Is.False);
            Assert.That(m.Dependencies.Single().Version, Is.EqualTo("^1.0"));
            Assert.That(d.DependencyRanges["lyndrix.plugin.base"].IsSatisfiedBy(SemanticVersion.Parse("1.9.0")), Is.True);
            Assert.That(m.Permissions.Subscribe, Is.EqualTo(new[] { "system:boot_complete", "vault:ready_for_data" }));
            Assert.That(m.SettingsSchema.Select(s => s.Default), Is.EqualTo(new[] { "hi", "true", "3", "b", null }));
            Assert.That(d.Incompatibility, Is.Null);
            Assert.That(d.Warnings, Is.Empty, "icon is a known field of the original");
        });
    }

    [Test]
    public void Reports_a_missing_manifest()
    {
        var d = PluginManifestReader.Read(_folder, PluginOrigin.PluginsDirectory);
        Assert.That(d.IsValid, Is.False);
        Assert.That(d.Errors.Single(), Does.Contain("No plugin.json"));
        Assert.That(d.Key, Is.EqualTo("folder:plugin"));
    }

    [Test]
    public void Reports_invalid_json_with_its_position()
    {
        File.WriteAllText(Path.Combine(_folder, "plugin.json"), "{\n  \"id\": \"x\",\n  \"name\": \n}");
        var d = PluginManifestReader.Read(_folder, PluginOrigin.PluginsDirectory);
        Assert.That(d.Errors.Single(), Does.Contain("not valid JSON").And.Contain("line 4"));
    }

    [Test]
    public void Reports_a_manifest_that_is_not_an_object() =>
        Assert.That(Read(new JsonArray(1, 2)).Errors.Single(), Does.Contain("must hold a JSON object"));

    [TestCase("Lyndrix.Plugin.Hello")]
    [TestCase("lyndrix/plugin")]
    [TestCase("../etc")]
    [TestCase("a..b")]
    [TestCase(".hidden")]
    [TestCase("trailing-")]
    [TestCase("with space")]
    [TestCase("")]
    public void Refuses_ids_outside_the_charset(string id)
    {
        var d = ReadWith("id", id);
        Assert.That(d.IsValid, Is.False);
        Assert.That(d.Errors, Has.Some.Contain("'id'"));
    }

    [Test]
    public void Refuses_an_id_longer_than_128_characters() =>
        Assert.That(ReadWith("id", new string('a', 129)).Errors, Has.Some.Contain("'id'"));

    [Test]
    public void Refuses_the_id_of_the_host_itself() =>
        Assert.That(ReadWith("id", "core").Errors, Has.Some.Contain("names the host itself"));

    [Test]
    public void Reserves_core_ids_and_type_for_built_in_modules()
    {
        var manifest = Valid();
        manifest["id"] = "lyndrix.core.ldap";
        manifest["type"] = "CORE";
        var fromPlugins = Read(manifest);
        Assert.That(fromPlugins.Errors, Has.Some.Contain("reserved for first-party modules").And.Some.Contain("'type' is \"CORE\""));

        var builtIn = Read(manifest, PluginOrigin.BuiltIn);
        Assert.That(builtIn.Errors, Is.Empty);
        Assert.That(builtIn.Manifest!.Type, Is.EqualTo(ModuleType.Core));
    }

    [TestCase("1.0")]
    [TestCase("one")]
    [TestCase("1.0.0.0")]
    public void Refuses_a_version_that_is_not_semver(string version) =>
        Assert.That(ReadWith("version", version).Errors, Has.Some.Contain("not a semantic version"));

    [Test]
    public void Names_every_missing_required_field()
    {
        var d = Read(new JsonObject());
        Assert.That(d.Errors, Has.Some.Contain("'id' is missing").And.Some.Contain("'name' is missing")
            .And.Some.Contain("'version' is missing").And.Some.Contain("'entryAssembly' is missing"));
    }

    [Test]
    public void Requires_the_entry_assembly_to_exist_and_lists_what_is_there()
    {
        var d = ReadWith("entryAssembly", "Missing.dll");
        Assert.That(d.Errors.Single(), Does.Contain("'Missing.dll'").And.Contain("found: Hello.dll"));
    }

    [TestCase("../Hello.dll")]
    [TestCase("sub/Hello.dll")]
    [TestCase("Hello.exe")]
    public void Refuses_entry_assembly_paths_and_non_dlls(string entry) =>
        Assert.That(ReadWith("entryAssembly", entry).Errors, Has.Some.Contain("'entryAssembly'"));

    [Test]
    public void Marks_a_plugin_needing_a_newer_api_as_incompatible_not_invalid()
    {
        var d = ReadWith("min_core_version", "99.0.0");
        Assert.That(d.IsValid, Is.True);
        Assert.That(d.Incompatibility, Does.Contain("99.0.0").And.Contain(LyndrixApi.Version));
    }

    [Test]
    public void Refuses_a_malformed_min_core_version() =>
        Assert.That(ReadWith("min_core_version", "soon").Errors, Has.Some.Contain("'min_core_version'"));

    [Test]
    public void Refuses_invalid_topics_and_core_topics_in_emit()
    {
        var manifest = Valid();
        manifest["permissions"] = new JsonObject
        {
            ["subscribe"] = new JsonArray("NoColon", "*"),
            ["emit"] = new JsonArray("vault:ready_for_data", "hello:ok"),
            ["vault_paths"] = new JsonArray("core/settings"),
        };
        var d = Read(manifest);
        Assert.That(d.Errors, Has.Some.Contain("'NoColon'").And.Some.Contain("'vault:ready_for_data'").And.Some.Contain("only be emitted by the core"));
        Assert.That(d.Warnings, Has.Some.Contain("never granted"));
    }

    [Test]
    public void Refuses_bad_dependencies()
    {
        var manifest = Valid();
        manifest["dependencies"] = new JsonArray(
            new JsonObject { ["id"] = "lyndrix.plugin.hello" },
            new JsonObject { ["id"] = "a", ["version"] = "1 || 2" },
            new JsonObject { ["id"] = "b" },
            new JsonObject { ["id"] = "b", ["version"] = "^1" },
            "c");
        var d = Read(manifest);
        Assert.That(d.Errors, Has.Some.Contain("cannot depend on itself").And.Some.Contain("'||'").And.Some.Contain("second time")
            .And.Some.Contain("dependencies[4]"));
    }

    [Test]
    public void Refuses_bad_settings()
    {
        var manifest = Valid();
        manifest["settings_schema"] = new JsonArray(
            new JsonObject { ["key"] = "1st" },
            new JsonObject { ["key"] = "n", ["kind"] = "int", ["default"] = "many" },
            new JsonObject { ["key"] = "N", ["kind"] = "str" },
            new JsonObject { ["key"] = "m", ["kind"] = "select", ["options"] = new JsonArray("a"), ["default"] = "z" },
            new JsonObject { ["key"] = "s", ["kind"] = "select" },
            new JsonObject { ["key"] = "k", ["kind"] = "colour" },
            new JsonObject { ["key"] = "pw", ["kind"] = "secret", ["default"] = "hunter2" });
        var d = Read(manifest);
        Assert.That(d.Errors, Has.Some.Contain("'1st'").And.Some.Contain("whole number").And.Some.Contain("declared twice")
            .And.Some.Contain("one of a").And.Some.Contain("without 'options'").And.Some.Contain("'colour'").And.Some.Contain("secrets never live in plugin.json"));
    }

    [Test]
    public void Warns_about_unknown_fields_and_a_missing_description()
    {
        var manifest = Valid();
        manifest.Remove("description");
        manifest["colour"] = "blue";
        var d = Read(manifest);
        Assert.That(d.IsValid, Is.True);
        Assert.That(d.Warnings, Has.Some.Contain("'colour'").And.Some.Contain("No 'description'"));
    }

    [Test]
    public void Two_folders_claiming_one_id_are_both_refused_naming_both_folders()
    {
        var root = Path.GetDirectoryName(_folder)!;
        foreach (var name in new[] { "zz-first", "aa-second" })
        {
            var dir = Path.Combine(root, "scan", name);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "Hello.dll"), "x");
            File.WriteAllText(Path.Combine(dir, "plugin.json"), Valid().ToJsonString());
        }

        var found = PluginDiscovery.Scan(null, Path.Combine(root, "scan"));
        Assert.That(found, Has.Count.EqualTo(2));
        Assert.That(found.Where(d => d.IsValid), Is.Empty, "first-wins would let a look-alike folder take the id and its secrets");
        foreach (var d in found)
        {
            Assert.That(d.Errors, Has.Some.Contain("claimed by 2 folders").And.Some.Contain("aa-second").And.Some.Contain("zz-first"));
            Assert.That(d.Key, Does.StartWith("folder:"), "a refused folder never stands for the id");
        }
    }
}
