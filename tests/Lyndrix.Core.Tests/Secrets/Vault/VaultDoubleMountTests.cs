using Lyndrix.VaultDouble;

namespace Lyndrix.Core.Tests.Secrets.Vault;

/// <summary>Mounts in the double (reference §3, §10.5).</summary>
public sealed class VaultDoubleMountTests
{
    private VaultDoubleServer _vault = null!;
    private RawVault _raw = null!;

    [SetUp]
    public async Task SetUp()
    {
        _vault = await VaultDoubleServer.StartAsync();
        _raw = new RawVault(_vault.BaseAddress) { Token = _vault.InitializeAndUnseal().RootToken };
    }

    [TearDown]
    public async Task TearDown()
    {
        _raw.Dispose();
        await _vault.DisposeAsync();
    }

    [Test]
    public async Task Sys_mounts_lists_in_data_and_repeats_every_mount_at_the_top_level()
    {
        var reply = await _raw.GetAsync("sys/mounts");
        var data = reply.Data!.AsObject();
        Assert.That(data.Select(p => p.Key), Is.SupersetOf(new[] { "sys/", "cubbyhole/", "identity/" }));
        foreach (var (path, mount) in data)
        {
            Assert.That(reply.Object[path]!.ToJsonString(), Is.EqualTo(mount!.ToJsonString()), path);
        }

        Assert.That(data["sys/"]!["options"], Is.Null);
        Assert.That(reply.Object["mount_type"]!.ToString(), Is.EqualTo("system"));
    }

    [Test]
    public async Task Kv_v2_alias_and_options_version_both_make_a_version_2_mount_and_no_version_makes_version_1()
    {
        Assert.That((await _raw.PostAsync("sys/mounts/alias", """{"type":"kv-v2"}""")).Status, Is.EqualTo(204));
        Assert.That((await _raw.PostAsync("sys/mounts/explicit", """{"type":"kv","options":{"version":"2"},"description":"d"}""")).Status, Is.EqualTo(204));
        Assert.That((await _raw.PostAsync("sys/mounts/plain", """{"type":"kv"}""")).Status, Is.EqualTo(204));

        var data = (await _raw.GetAsync("sys/mounts")).Data!;
        Assert.That(data["alias/"]!["type"]!.ToString(), Is.EqualTo("kv"));
        Assert.That(data["alias/"]!["options"]!["version"]!.ToString(), Is.EqualTo("2"));
        Assert.That(data["explicit/"]!["description"]!.ToString(), Is.EqualTo("d"));
        Assert.That(data["plain/"]!["options"], Is.Null);
        Assert.That((await _raw.PostAsync("explicit/data/k", """{"data":{"a":"1"}}""")).Status, Is.EqualTo(200));
        Assert.That((await _raw.PostAsync("plain/k", """{"a":"1"}""")).Status, Is.EqualTo(204), "KV v1 writes the path itself");
    }

    [Test]
    public async Task A_taken_or_overlapping_path_is_400_path_is_already_in_use_or_409_when_switched()
    {
        await _raw.PostAsync("sys/mounts/lyndrix", """{"type":"kv-v2"}""");
        var same = await _raw.PostAsync("sys/mounts/lyndrix", """{"type":"kv-v2"}""");
        var child = await _raw.PostAsync("sys/mounts/lyndrix/inner", """{"type":"kv-v2"}""");
        Assert.That((same.Status, same.Errors), Is.EqualTo((400, new[] { "path is already in use at lyndrix/" })));
        Assert.That((child.Status, child.Errors), Is.EqualTo((400, new[] { "path is already in use at lyndrix/" })));

        _vault.Options.MountConflictStatus = 409;
        Assert.That((await _raw.PostAsync("sys/mounts/lyndrix", """{"type":"kv-v2"}""")).Status, Is.EqualTo(409));
    }

    [Test]
    public async Task Unknown_engine_types_and_reserved_paths_are_400()
    {
        Assert.That((await _raw.PostAsync("sys/mounts/x", """{"type":"kv2"}""")).Errors, Is.EqualTo(new[] { "plugin not found in the catalog: kv2" }));
        Assert.That((await _raw.PostAsync("sys/mounts/auth", """{"type":"kv"}""")).Status, Is.EqualTo(400));
    }

    [Test]
    public async Task Disabling_is_idempotent_and_removes_the_data()
    {
        await _raw.PostAsync("sys/mounts/tmp", """{"type":"kv-v2"}""");
        await _raw.PostAsync("tmp/data/k", """{"data":{"a":"1"}}""");
        Assert.That((await _raw.SendAsync("DELETE", "sys/mounts/tmp")).Status, Is.EqualTo(204));
        Assert.That((await _raw.SendAsync("DELETE", "sys/mounts/tmp")).Status, Is.EqualTo(204));
        Assert.That((await _raw.GetAsync("tmp/data/k")).Status, Is.EqualTo(404));
    }

    [Test]
    public async Task One_mount_reads_with_top_level_duplication_and_an_unknown_mount_is_400()
    {
        await _raw.PostAsync("sys/mounts/lyndrix", """{"type":"kv-v2"}""");
        var one = await _raw.GetAsync("sys/mounts/lyndrix");
        Assert.That(one.Data!["type"]!.ToString(), Is.EqualTo("kv"));
        Assert.That(one.Object["type"]!.ToString(), Is.EqualTo("kv"));
        Assert.That((await _raw.GetAsync("sys/mounts/nothing")).Errors, Is.EqualTo(new[] { "No secret engine mount at nothing/" }));
    }

    [Test]
    public async Task Tune_reads_effective_ttls_and_upgrades_kv_version_1_in_place()
    {
        await _raw.PostAsync("sys/mounts/old", """{"type":"kv"}""");
        await _raw.PostAsync("old/app", """{"user":"u"}""");
        var tune = await _raw.GetAsync("sys/mounts/old/tune");
        Assert.That(tune.Data!["default_lease_ttl"]!.GetValue<long>(), Is.EqualTo(2764800));
        Assert.That(tune.Object["max_lease_ttl"]!.GetValue<long>(), Is.EqualTo(2764800));

        Assert.That((await _raw.PostAsync("sys/mounts/old/tune", """{"options":{"version":"2"},"default_lease_ttl":"1h"}""")).Status, Is.EqualTo(204));
        var read = await _raw.GetAsync("old/data/app");
        Assert.That(read.Data!["data"]!["user"]!.ToString(), Is.EqualTo("u"));
        Assert.That(read.Data!["metadata"]!["version"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That((await _raw.GetAsync("sys/mounts/old/tune")).Data!["default_lease_ttl"]!.GetValue<long>(), Is.EqualTo(3600));
        Assert.That((await _raw.PostAsync("sys/mounts/old/tune", """{"options":{"version":"1"}}""")).Status, Is.EqualTo(400));
    }

    [Test]
    public async Task A_fresh_kv_v2_mount_can_answer_the_upgrading_400_for_a_while()
    {
        _vault.Options.KvUpgradeRequests = 2;
        await _raw.PostAsync("sys/mounts/fresh", """{"type":"kv-v2"}""");
        var first = await _raw.GetAsync("fresh/data/k");
        Assert.That(first.Status, Is.EqualTo(400));
        Assert.That(first.Errors.Single(), Does.StartWith("Upgrading from non-versioned to versioned data."));
        await _raw.GetAsync("fresh/data/k");
        Assert.That((await _raw.GetAsync("fresh/data/k")).Status, Is.EqualTo(404));
    }

    [Test]
    public async Task The_public_ui_mount_list_shows_only_unauth_visible_mounts()
    {
        await _raw.PostAsync("sys/mounts/shown", """{"type":"kv-v2","config":{"listing_visibility":"unauth"}}""");
        await _raw.PostAsync("sys/mounts/hidden", """{"type":"kv-v2"}""");
        var reply = await _raw.SendAsync("GET", "sys/internal/ui/mounts", token: null);
        var secret = reply.Data!["secret"]!.AsObject();
        Assert.That(secret.Select(p => p.Key), Is.EqualTo(new[] { "shown/" }));
    }
}
