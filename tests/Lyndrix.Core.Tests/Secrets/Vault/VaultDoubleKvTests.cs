using System.Text.RegularExpressions;
using Lyndrix.VaultDouble;
using Microsoft.Extensions.Time.Testing;

namespace Lyndrix.Core.Tests.Secrets.Vault;

/// <summary>KV version 2 in the double (reference §4, §10.6), where fidelity is subtle.</summary>
public sealed partial class VaultDoubleKvTests
{
    private FakeTimeProvider _time = null!;
    private VaultDoubleServer _vault = null!;
    private RawVault _raw = null!;

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")]
    private static partial Regex Rfc3339Nano();

    [SetUp]
    public async Task SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2024, 3, 22, 2, 24, 6, TimeSpan.Zero).AddTicks(9453192));
        _vault = await VaultDoubleServer.StartAsync(new VaultDoubleOptions { TimeProvider = _time });
        _raw = new RawVault(_vault.BaseAddress) { Token = _vault.InitializeAndUnseal().RootToken };
        _vault.EnableKv("lyndrix");
    }

    [TearDown]
    public async Task TearDown()
    {
        _raw.Dispose();
        await _vault.DisposeAsync();
    }

    private Task<RawReply> Write(string key, string dataJson, string? options = null) =>
        _raw.PostAsync("lyndrix/data/" + key, options is null ? $$"""{"data":{{dataJson}}}""" : $$"""{"options":{{options}},"data":{{dataJson}}}""");

    [Test]
    public async Task A_write_answers_flat_version_metadata_with_nanosecond_utc_timestamps()
    {
        var reply = await Write("k", """{"foo":"bar"}""");
        var data = reply.Data!.AsObject();
        Assert.That(data.Select(p => p.Key), Is.EqualTo(new[] { "created_time", "custom_metadata", "deletion_time", "destroyed", "version" }));
        Assert.That(data["created_time"]!.ToString(), Is.EqualTo("2024-03-22T02:24:06.9453192Z"));
        Assert.That(data["deletion_time"]!.ToString(), Is.Empty);
        Assert.That(data["version"]!.GetValue<int>(), Is.EqualTo(1));
    }

    [Test]
    public async Task A_read_returns_data_and_metadata_for_the_latest_or_a_given_version()
    {
        await Write("k", """{"v":"1"}""");
        _time.Advance(TimeSpan.FromSeconds(1));
        await Write("k", """{"v":"2"}""");

        var latest = (await _raw.GetAsync("lyndrix/data/k")).Data!;
        var first = (await _raw.GetAsync("lyndrix/data/k?version=1")).Data!;
        Assert.That(latest["data"]!["v"]!.ToString(), Is.EqualTo("2"));
        Assert.That(latest["metadata"]!["version"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(first["data"]!["v"]!.ToString(), Is.EqualTo("1"));
        Assert.That(Rfc3339Nano().IsMatch(latest["metadata"]!["created_time"]!.ToString()), Is.True);
        Assert.That((await _raw.GetAsync("lyndrix/data/k?version=9")).Body, Is.EqualTo("""{"errors":[]}"""));
    }

    [Test]
    public async Task The_three_kinds_of_404_body_are_told_apart()
    {
        await Write("soft", """{"a":"1"}""");
        await Write("gone", """{"a":"1"}""");
        await _raw.SendAsync("DELETE", "lyndrix/data/soft");
        await _raw.PostAsync("lyndrix/destroy/gone", """{"versions":[1]}""");

        var missing = await _raw.GetAsync("lyndrix/data/never");
        var soft = await _raw.GetAsync("lyndrix/data/soft");
        var destroyed = await _raw.GetAsync("lyndrix/data/gone");

        Assert.That((missing.Status, missing.Body), Is.EqualTo((404, """{"errors":[]}""")));
        Assert.That(soft.Status, Is.EqualTo(404));
        Assert.That(soft.Object.ContainsKey("errors"), Is.False);
        Assert.That(soft.Data!["data"], Is.Null);
        Assert.That(soft.Data!["metadata"]!["deletion_time"]!.ToString(), Is.Not.Empty);
        Assert.That(soft.Data!["metadata"]!["destroyed"]!.GetValue<bool>(), Is.False);
        Assert.That(destroyed.Status, Is.EqualTo(404));
        Assert.That(destroyed.Data!["metadata"]!["destroyed"]!.GetValue<bool>(), Is.True);
        Assert.That(destroyed.Data!["metadata"]!["deletion_time"]!.ToString(), Is.Empty);
    }

    [Test]
    public async Task Check_and_set_errors_have_vaults_strings_and_zero_means_create_only()
    {
        Assert.That((await Write("c", """{"a":"1"}""", """{"cas":0}""")).Status, Is.EqualTo(200));
        Assert.That((await Write("c", """{"a":"2"}""", """{"cas":0}""")).Errors, Is.EqualTo(new[] { "check-and-set parameter did not match the current version" }));
        Assert.That((await Write("c", """{"a":"2"}""", """{"cas":"1"}""")).Status, Is.EqualTo(200), "a numeric string is accepted");
        Assert.That((await Write("c", """{"a":"3"}""", """{"cas":"one"}""")).Errors, Is.EqualTo(new[] { "error parsing check-and-set parameter" }));

        await _raw.PostAsync("lyndrix/config", """{"cas_required":true}""");
        Assert.That((await Write("c", """{"a":"3"}""")).Errors, Is.EqualTo(new[] { "check-and-set parameter required for this call" }));
    }

    [Test]
    public async Task Soft_delete_and_destroy_keep_the_current_version_but_deleting_metadata_starts_over()
    {
        await Write("k", """{"a":"1"}""");
        await _raw.SendAsync("DELETE", "lyndrix/data/k");
        Assert.That((await Write("k", """{"a":"2"}""", """{"cas":0}""")).Status, Is.EqualTo(400));
        Assert.That((await Write("k", """{"a":"2"}""", """{"cas":1}""")).Data!["version"]!.GetValue<int>(), Is.EqualTo(2));

        await _raw.SendAsync("DELETE", "lyndrix/metadata/k");
        await _raw.SendAsync("DELETE", "lyndrix/metadata/k");
        Assert.That((await Write("k", """{"a":"3"}""", """{"cas":0}""")).Data!["version"]!.GetValue<int>(), Is.EqualTo(1));
    }

    [Test]
    public async Task Max_versions_prunes_the_oldest_and_moves_oldest_version()
    {
        await _raw.PostAsync("lyndrix/metadata/k", """{"max_versions":2}""");
        for (var i = 1; i <= 4; i++)
        {
            await Write("k", $$"""{"v":"{{i}}"}""");
        }

        var meta = (await _raw.GetAsync("lyndrix/metadata/k")).Data!;
        Assert.That(meta["versions"]!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "3", "4" }), "version keys are strings");
        Assert.That(meta["current_version"]!.GetValue<int>(), Is.EqualTo(4));
        Assert.That(meta["oldest_version"]!.GetValue<int>(), Is.EqualTo(3));
        Assert.That((await _raw.GetAsync("lyndrix/data/k?version=2")).Body, Is.EqualTo("""{"errors":[]}"""));
    }

    [Test]
    public async Task Default_max_versions_is_ten()
    {
        for (var i = 1; i <= 12; i++)
        {
            await Write("k", $$"""{"v":"{{i}}"}""");
        }

        var versions = (await _raw.GetAsync("lyndrix/metadata/k")).Data!["versions"]!.AsObject();
        Assert.That(versions.Count, Is.EqualTo(10));
        Assert.That(versions.First().Key, Is.EqualTo("3"));
    }

    [Test]
    public async Task Metadata_has_vaults_fields_and_a_missing_key_is_a_plain_404()
    {
        await Write("k", """{"a":"1"}""");
        var data = (await _raw.GetAsync("lyndrix/metadata/k")).Data!.AsObject();
        Assert.That(data.Select(p => p.Key), Is.EqualTo(new[]
        {
            "cas_required", "created_time", "current_version", "custom_metadata", "delete_version_after", "max_versions", "oldest_version",
            "updated_time", "versions",
        }));
        Assert.That(data["delete_version_after"]!.ToString(), Is.EqualTo("0s"));
        Assert.That(data["versions"]!["1"]!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "created_time", "deletion_time", "destroyed" }));
        Assert.That((await _raw.GetAsync("lyndrix/metadata/none")).Body, Is.EqualTo("""{"errors":[]}"""));
    }

    [Test]
    public async Task Undelete_restores_a_soft_deleted_version_but_not_a_destroyed_one()
    {
        await Write("k", """{"a":"1"}""");
        await Write("k", """{"a":"2"}""");
        await _raw.PostAsync("lyndrix/delete/k", """{"versions":[1,2]}""");
        await _raw.PostAsync("lyndrix/destroy/k", """{"versions":[2]}""");
        await _raw.PostAsync("lyndrix/undelete/k", """{"versions":[1,2]}""");

        Assert.That((await _raw.GetAsync("lyndrix/data/k?version=1")).Status, Is.EqualTo(200));
        Assert.That((await _raw.GetAsync("lyndrix/data/k?version=2")).Data!["metadata"]!["destroyed"]!.GetValue<bool>(), Is.True);
        Assert.That((await _raw.PostAsync("lyndrix/delete/k", "{}")).Errors, Is.EqualTo(new[] { "No version number provided" }));
        Assert.That((await _raw.PostAsync("lyndrix/destroy/k", "{}")).Errors, Is.EqualTo(new[] { "no version number provided" }));
    }

    [Test]
    public async Task Delete_version_after_sets_a_future_deletion_time_and_the_version_stays_readable_until_then()
    {
        await _raw.PostAsync("lyndrix/metadata/k", """{"delete_version_after":"1h"}""");
        var written = await Write("k", """{"a":"1"}""");
        Assert.That(written.Data!["deletion_time"]!.ToString(), Is.EqualTo("2024-03-22T03:24:06.9453192Z"));
        Assert.That((await _raw.GetAsync("lyndrix/data/k")).Status, Is.EqualTo(200));
        _time.Advance(TimeSpan.FromHours(1));
        Assert.That((await _raw.GetAsync("lyndrix/data/k")).Status, Is.EqualTo(404));
    }

    [Test]
    public async Task Patch_merges_and_creates_a_version()
    {
        await Write("k", """{"keep":"1","change":"old","drop":"x","nested":{"a":"1","b":"2"}}""");
        var reply = await _raw.SendAsync("PATCH", "lyndrix/data/k", """{"data":{"change":"new","drop":null,"nested":{"b":"3"}}}""",
            contentType: "application/merge-patch+json");
        Assert.That(reply.Data!["version"]!.GetValue<int>(), Is.EqualTo(2));
        var data = (await _raw.GetAsync("lyndrix/data/k")).Data!["data"]!;
        Assert.That(data.ToJsonString(), Is.EqualTo("""{"keep":"1","change":"new","nested":{"a":"1","b":"3"}}"""));
    }

    [Test]
    public async Task Patch_of_a_missing_key_is_404_with_no_body_and_of_a_deleted_key_404_with_flat_metadata()
    {
        var missing = await _raw.SendAsync("PATCH", "lyndrix/data/none", """{"data":{"a":"1"}}""", contentType: "application/merge-patch+json");
        Assert.That((missing.Status, missing.Body, missing.ContentType), Is.EqualTo((404, "", (string?)null)));

        await Write("k", """{"a":"1"}""");
        await _raw.SendAsync("DELETE", "lyndrix/data/k");
        var deleted = await _raw.SendAsync("PATCH", "lyndrix/data/k", """{"data":{"a":"2"}}""", contentType: "application/merge-patch+json");
        Assert.That(deleted.Status, Is.EqualTo(404));
        Assert.That(deleted.Data!["version"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That(deleted.Data!["deletion_time"]!.ToString(), Is.Not.Empty);

        var noData = await _raw.SendAsync("PATCH", "lyndrix/data/k", """{"options":{}}""", contentType: "application/merge-patch+json");
        Assert.That(noData.Errors, Is.EqualTo(new[] { "no data provided" }));
    }

    [Test]
    public async Task Writing_without_data_is_400_no_data_provided_and_an_empty_map_is_a_version()
    {
        Assert.That((await _raw.PostAsync("lyndrix/data/k", """{"options":{}}""")).Errors, Is.EqualTo(new[] { "no data provided" }));
        Assert.That((await Write("k", "{}")).Data!["version"]!.GetValue<int>(), Is.EqualTo(1));
    }

    [Test]
    public async Task List_marks_folders_with_a_slash_and_an_empty_prefix_is_404()
    {
        await Write("plugins/a/key", """{"x":"1"}""");
        await Write("plugins/b", """{"x":"1"}""");
        await Write("core/c", """{"x":"1"}""");

        var root = await _raw.SendAsync("LIST", "lyndrix/metadata/");
        var plugins = await _raw.SendAsync("LIST", "lyndrix/metadata/plugins");
        var empty = await _raw.SendAsync("LIST", "lyndrix/metadata/nothing/");
        Assert.That(root.Data!["keys"]!.ToJsonString(), Is.EqualTo("""["core/","plugins/"]"""));
        Assert.That(plugins.Data!["keys"]!.ToJsonString(), Is.EqualTo("""["a/","b"]"""));
        Assert.That((empty.Status, empty.Body), Is.EqualTo((404, """{"errors":[]}""")));
    }

    [Test]
    public async Task Invalid_kv_v2_paths_get_a_404_envelope_with_only_a_warning()
    {
        var v1Style = await _raw.GetAsync("lyndrix/app/secret");
        Assert.That(v1Style.Status, Is.EqualTo(404));
        Assert.That(v1Style.Object.ContainsKey("errors"), Is.False);
        Assert.That(v1Style.Data, Is.Null);
        Assert.That(v1Style.Warnings, Is.EqualTo(new[]
        {
            "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.",
        }));
        Assert.That((await _raw.PostAsync("lyndrix/app/secret", "{}")).Warnings.Single(), Does.EndWith("use 'vault kv put' for this operation."));
        Assert.That((await _raw.GetAsync("lyndrix/data")).Warnings, Is.EqualTo(new[] { "Non-listing operations on the root of a K/V v2 mount are not supported." }));
    }

    [Test]
    public async Task Custom_metadata_is_validated_and_shown_on_reads()
    {
        var tooLong = await _raw.PostAsync("lyndrix/metadata/k", $$$"""{"custom_metadata":{"owner":"{{{new string('x', 513)}}}"}}""");
        Assert.That(tooLong.Status, Is.EqualTo(400));
        Assert.That(tooLong.Errors.Single(), Does.Contain("custom_metadata validation failed: length of value for key \"owner\" is 513"));

        Assert.That((await _raw.PostAsync("lyndrix/metadata/k", """{"custom_metadata":{"owner":"ops"}}""")).Status, Is.EqualTo(204));
        await Write("k", """{"a":"1"}""");
        Assert.That((await _raw.GetAsync("lyndrix/data/k")).Data!["metadata"]!["custom_metadata"]!.ToJsonString(), Is.EqualTo("""{"owner":"ops"}"""));

        var patched = await _raw.SendAsync("PATCH", "lyndrix/metadata/k", """{"custom_metadata":{"owner":null,"team":"core"}}""",
            contentType: "application/merge-patch+json");
        Assert.That(patched.Status, Is.EqualTo(204));
        Assert.That((await _raw.GetAsync("lyndrix/metadata/k")).Data!["custom_metadata"]!.ToJsonString(), Is.EqualTo("""{"team":"core"}"""));
    }

    [Test]
    public async Task Subkeys_show_the_structure_without_values()
    {
        await Write("k", """{"foo":"secret","bar":{"baz":"hidden"}}""");
        var reply = await _raw.GetAsync("lyndrix/subkeys/k");
        Assert.That(reply.Data!["subkeys"]!.ToJsonString(), Is.EqualTo("""{"foo":null,"bar":{"baz":null}}"""));
        Assert.That(reply.Body, Does.Not.Contain("secret").And.Not.Contain("hidden"));
    }
}
