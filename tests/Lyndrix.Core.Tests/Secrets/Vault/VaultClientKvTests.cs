using System.Text.Json.Nodes;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Vault;
using Lyndrix.Core.Tests.Support;
using Lyndrix.VaultDouble;

namespace Lyndrix.Core.Tests.Secrets.Vault;

/// <summary>The typed KV v2 calls and the <see cref="IKeyValueStore"/> seam over them.</summary>
public sealed class VaultClientKvTests
{
    private VaultDoubleServer _vault = null!;
    private VaultSecretBackend _backend = null!;
    private VaultClient _client = null!;
    private string _root = null!;

    [SetUp]
    public async Task SetUp()
    {
        _vault = await VaultDoubleServer.StartAsync();
        (_backend, _root) = await VaultTestKit.OpenWithRootAsync(_vault, new CapturingLoggerProvider());
        _client = _backend.Client;
    }

    [TearDown]
    public async Task TearDown()
    {
        await _backend.DisposeAsync();
        await _vault.DisposeAsync();
    }

    private static Dictionary<string, string> Data(params (string K, string V)[] pairs) => pairs.ToDictionary(p => p.K, p => p.V);

    [Test]
    public async Task Reads_tell_found_soft_deleted_destroyed_and_not_found_apart()
    {
        _vault.WriteKv("lyndrix", "core/found", Data(("k", "v")));
        _vault.WriteKv("lyndrix", "core/soft", Data(("k", "v")));
        _vault.WriteKv("lyndrix", "core/gone", Data(("k", "v")));
        _vault.WriteKv("lyndrix", "core/gone", Data(("k", "v2")));
        await _client.DeleteKvLatestAsync("lyndrix", "core/soft", CancellationToken.None);

        var found = await _client.ReadKvAsync("lyndrix", "core/found", null, CancellationToken.None);
        var soft = await _client.ReadKvAsync("lyndrix", "core/soft", null, CancellationToken.None);
        var missing = await _client.ReadKvAsync("lyndrix", "core/never", null, CancellationToken.None);
        Assert.That(found, Is.InstanceOf<KvSecretRead.Found>());
        Assert.That(((KvSecretRead.Found)found).Data["k"]!.ToString(), Is.EqualTo("v"));
        Assert.That(((KvSecretRead.Found)found).Metadata.CreatedTime, Is.Not.Null);
        Assert.That(soft, Is.InstanceOf<KvSecretRead.SoftDeleted>());
        Assert.That(((KvSecretRead.SoftDeleted)soft).Metadata.DeletionTime, Is.Not.Null);
        Assert.That(missing, Is.SameAs(KvSecretRead.NotFound.Instance));
    }

    [Test]
    public async Task A_destroyed_version_reads_as_destroyed_through_client_and_store()
    {
        _vault.WriteKv("lyndrix", "core/gone", Data(("k", "v")));
        using var raw = new RawVault(_vault.BaseAddress) { Token = _root };
        Assert.That((await raw.PostAsync("lyndrix/destroy/core/gone", """{"versions":[1]}""")).Status, Is.EqualTo(204));

        var read = await _client.ReadKvAsync("lyndrix", "core/gone", null, CancellationToken.None);
        Assert.That(read, Is.InstanceOf<KvSecretRead.Destroyed>());
        Assert.That(((KvSecretRead.Destroyed)read).Metadata.Version, Is.EqualTo(1));
        var viaStore = await _backend.Store.ReadAsync("core/gone", CancellationToken.None);
        Assert.That((viaStore.State, viaStore.Data, viaStore.Version), Is.EqualTo((KvReadState.Destroyed, (IReadOnlyDictionary<string, string>?)null, 1)));
    }

    [Test]
    public async Task The_store_maps_every_state_onto_the_seam()
    {
        var store = _backend.Store;
        Assert.That(await store.ReadAsync("plugins/x/settings", CancellationToken.None), Is.SameAs(KvReadResult.NotFound));

        var v1 = await store.WriteAsync("plugins/x/settings", Data(("a", "1"), ("b", "2")), 0, CancellationToken.None);
        var read = await store.ReadAsync("plugins/x/settings", CancellationToken.None);
        Assert.That((v1, read.State, read.Version), Is.EqualTo((1, KvReadState.Found, 1)));
        Assert.That(read.Data, Is.EquivalentTo(Data(("a", "1"), ("b", "2"))));

        await _client.DeleteKvLatestAsync("lyndrix", "plugins/x/settings", CancellationToken.None);
        var deleted = await store.ReadAsync("plugins/x/settings", CancellationToken.None);
        Assert.That((deleted.State, deleted.Version), Is.EqualTo((KvReadState.SoftDeleted, 1)));

        await store.DeleteAsync("plugins/x/settings", CancellationToken.None);
        Assert.That((await store.ReadAsync("plugins/x/settings", CancellationToken.None)).State, Is.EqualTo(KvReadState.NotFound));
        Assert.That(await store.WriteAsync("plugins/x/settings", Data(("a", "3")), 0, CancellationToken.None), Is.EqualTo(1), "metadata delete starts over");
    }

    [Test]
    public async Task Values_that_are_not_strings_come_back_as_their_json_text()
    {
        using var raw = new RawVault(_vault.BaseAddress) { Token = _root };
        await raw.PostAsync("lyndrix/data/core/mixed", """{"data":{"n":5,"b":true,"o":{"x":"y"},"s":"text"}}""");
        var read = await _backend.Store.ReadAsync("core/mixed", CancellationToken.None);
        Assert.That(read.Data, Is.EquivalentTo(Data(("n", "5"), ("b", "true"), ("o", """{"x":"y"}"""), ("s", "text"))));
    }

    [Test]
    public async Task A_check_and_set_mismatch_is_its_own_exception_and_does_not_carry_the_data()
    {
        var store = _backend.Store;
        await store.WriteAsync("core/c", Data(("k", "first")), 0, CancellationToken.None);
        var e = Assert.ThrowsAsync<KvCasMismatchException>(() => store.WriteAsync("core/c", Data(("k", "very-secret-value")), 0, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("core/c").And.Not.Contain("very-secret-value"));
        Assert.That(await store.WriteAsync("core/c", Data(("k", "second")), 1, CancellationToken.None), Is.EqualTo(2));
        Assert.ThrowsAsync<KvCasMismatchException>(() => store.WriteAsync("core/c", Data(("k", "third")), 1, CancellationToken.None));
    }

    [Test]
    public async Task Patch_merges_into_the_latest_version_and_refuses_missing_or_deleted_secrets_clearly()
    {
        await _client.WriteKvAsync("lyndrix", "core/p", new JsonObject { ["a"] = "1", ["b"] = "2" }, null, CancellationToken.None);
        var patched = await _client.PatchKvAsync("lyndrix", "core/p", new JsonObject { ["b"] = null, ["c"] = "3" }, null, CancellationToken.None);
        Assert.That(patched.Version, Is.EqualTo(2));
        var read = (KvSecretRead.Found)await _client.ReadKvAsync("lyndrix", "core/p", null, CancellationToken.None);
        Assert.That(read.Data, Is.EqualTo(Data(("a", "1"), ("c", "3"))));

        Assert.ThrowsAsync<KvCasMismatchException>(() => _client.PatchKvAsync("lyndrix", "core/p", new JsonObject { ["d"] = "4" }, 1, CancellationToken.None));

        var missing = Assert.ThrowsAsync<VaultApiException>(() => _client.PatchKvAsync("lyndrix", "core/none", new JsonObject { ["a"] = "1" }, null, CancellationToken.None));
        Assert.That((missing!.StatusCode, missing.Message), Is.EqualTo((404, "Cannot patch core/none: the secret does not exist. A patch only changes the latest live version; write the whole secret instead.")));

        await _client.DeleteKvLatestAsync("lyndrix", "core/p", CancellationToken.None);
        var deleted = Assert.ThrowsAsync<VaultApiException>(() => _client.PatchKvAsync("lyndrix", "core/p", new JsonObject { ["a"] = "1" }, null, CancellationToken.None));
        Assert.That(deleted!.Message, Does.Contain("the secret is deleted"));
    }

    [Test]
    public async Task Metadata_reads_string_version_keys_as_numbers_and_a_missing_key_is_null()
    {
        for (var i = 0; i < 3; i++)
        {
            _vault.WriteKv("lyndrix", "core/m", Data(("v", i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        }

        await _client.DeleteKvLatestAsync("lyndrix", "core/m", CancellationToken.None);
        var meta = await _client.ReadKvMetadataAsync("lyndrix", "core/m", CancellationToken.None);
        Assert.That(meta!.CurrentVersion, Is.EqualTo(3));
        Assert.That(meta.Versions.Keys, Is.EquivalentTo(new[] { 1, 2, 3 }));
        Assert.That(meta.Versions[3].IsDeleted, Is.True);
        Assert.That(meta.Versions[2].IsDeleted, Is.False);
        Assert.That(await _client.ReadKvMetadataAsync("lyndrix", "core/none", CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task List_returns_folders_with_a_slash_and_an_empty_prefix_is_an_empty_list()
    {
        _vault.WriteKv("lyndrix", "plugins/a/one", Data(("k", "v")));
        _vault.WriteKv("lyndrix", "plugins/b", Data(("k", "v")));
        Assert.That(await _client.ListKvAsync("lyndrix", "plugins", CancellationToken.None), Is.EqualTo(new[] { "a/", "b" }));
        Assert.That(await _client.ListKvAsync("lyndrix", "", CancellationToken.None), Is.EqualTo(new[] { "plugins/" }));
        Assert.That(await _client.ListKvAsync("lyndrix", "nothing/", CancellationToken.None), Is.Empty);
    }

    [Test]
    public async Task The_kv_upgrade_400_right_after_enabling_is_retried_briefly()
    {
        _vault.StartKvUpgradeWindow("lyndrix", 3);
        _vault.Requests.Clear();
        var read = await _backend.Store.ReadAsync("core/x", CancellationToken.None);
        Assert.That(read.State, Is.EqualTo(KvReadState.NotFound));
        Assert.That(_vault.Requests.All.Select(r => r.StatusCode), Is.EqualTo(new[] { 400, 400, 400, 404 }));
    }

    [TestCase("")]
    [TestCase("/core/x")]
    [TestCase("core/x/")]
    [TestCase("core//x")]
    [TestCase("core/../x")]
    [TestCase("core/\nx")]
    public void Malformed_paths_are_rejected_before_any_request(string path)
    {
        _vault.Requests.Clear();
        Assert.ThrowsAsync<ArgumentException>(() => _backend.Store.ReadAsync(path, CancellationToken.None));
        Assert.That(_vault.Requests.Count, Is.Zero);
    }

    [Test]
    public async Task Path_segments_are_escaped_on_the_wire()
    {
        _vault.Requests.Clear();
        await _backend.Store.ReadAsync("core/a b?c#d", CancellationToken.None);
        Assert.That(_vault.Requests.All.Single().Path, Is.EqualTo("/v1/lyndrix/data/core/a b?c#d"));
        Assert.That(_vault.Requests.All.Single().Query, Is.Empty);
    }

    [Test]
    public async Task A_policy_refusal_from_the_store_names_the_path_and_the_needed_capability()
    {
        _vault.PutPolicy("read-only", """
            path "lyndrix/data/*" { capabilities = ["read"] }
            path "sys/mounts" { capabilities = ["read"] }
            """);
        var token = _vault.CreateToken(["read-only"]);
        await using var scoped = VaultTestKit.Backend(VaultTestKit.Settings(_vault.BaseAddress, token: token), new CapturingLoggerProvider());
        await scoped.OpenAsync(null, CancellationToken.None);
        var e = Assert.ThrowsAsync<SecretBackendAuthException>(() => scoped.Store.WriteAsync("plugins/x", Data(("k", "v")), 0, CancellationToken.None));
        Assert.That(e!.Message, Does.Contain("Vault refused to create lyndrix/data/plugins/x (403)").And.Contain("lyndrix/data/*"));
    }

    [Test]
    public async Task The_store_refuses_work_before_the_backend_is_open()
    {
        await using var closed = VaultTestKit.Backend(VaultTestKit.Settings(_vault.BaseAddress), new CapturingLoggerProvider());
        Assert.ThrowsAsync<InvalidOperationException>(() => closed.Store.ReadAsync("core/x", CancellationToken.None));
    }
}
