using Microsoft.Data.Sqlite;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Embedded;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Secrets.Embedded;

public class EmbeddedSecretBackendTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory("lyndrix-secrets");

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private EmbeddedSecretBackend NewBackend() => EmbeddedSecretBackend.Create(SecretTestSettings.For(_dir.Path), TimeProvider.System);

    /// <summary>What the lifecycle does: init, store the key file (here: a stand-in file), unseal.</summary>
    private async Task<(EmbeddedSecretBackend Backend, KeyMaterial Material)> OpenedAsync()
    {
        var backend = NewBackend();
        var material = await backend.InitializeAsync(CancellationToken.None);
        await File.WriteAllTextAsync(_dir.File("vault_keys.enc"), "stand-in");
        await backend.UnsealAsync(material, CancellationToken.None);
        await backend.OpenAsync(material, CancellationToken.None);
        return (backend, material);
    }

    [Test]
    public async Task Init_leaves_a_pending_owner_only_store_that_counts_as_uninitialized_until_the_key_file_exists()
    {
        var backend = NewBackend();
        var before = await backend.GetStatusAsync(CancellationToken.None);
        var material = await backend.InitializeAsync(CancellationToken.None);
        var after = await backend.GetStatusAsync(CancellationToken.None);
        await File.WriteAllTextAsync(_dir.File("vault_keys.enc"), "stand-in");
        var withKeyFile = await backend.GetStatusAsync(CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(before, Is.EqualTo(new SecretBackendStatus(false, true, EmbeddedSecretBackend.StatusVersion)));
            Assert.That(after.Initialized, Is.False, "nothing depends on the new key until the caller stored it");
            Assert.That(withKeyFile, Is.EqualTo(new SecretBackendStatus(true, true, EmbeddedSecretBackend.StatusVersion)));
            Assert.That(FileModes.Of(_dir.File(SecretStoreSettings.EmbeddedStoreFileName)), Is.EqualTo(FileModes.OwnerOnly));
            Assert.That(Convert.FromBase64String(material.RootToken), Has.Length.EqualTo(32));
            Assert.That(material.UnsealKeys, Is.Empty);
            Assert.That(backend.Kind, Is.EqualTo("embedded"));
        });
    }

    [Test]
    public async Task A_pending_store_left_by_an_init_that_never_wrote_its_key_file_is_replaced_by_the_next_init()
    {
        var abandoned = await NewBackend().InitializeAsync(CancellationToken.None);
        var backend = NewBackend();
        var material = await backend.InitializeAsync(CancellationToken.None);
        await File.WriteAllTextAsync(_dir.File("vault_keys.enc"), "stand-in");
        var rejected = Assert.ThrowsAsync<SecretBackendUnsealRejectedException>(() => backend.UnsealAsync(abandoned, CancellationToken.None));
        await backend.UnsealAsync(material, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(rejected, Is.Not.Null, "the leftover's key does not open the new store");
            Assert.That(material.RootToken, Is.Not.EqualTo(abandoned.RootToken));
        });
    }

    [Test]
    public async Task Every_data_key_is_random()
    {
        var a = await NewBackend().InitializeAsync(CancellationToken.None);
        var b = await NewBackend().InitializeAsync(CancellationToken.None);
        Assert.That(a.RootToken, Is.Not.EqualTo(b.RootToken));
    }

    [Test]
    public async Task Unseal_opens_an_owner_only_store_and_writes_its_rollback_mark()
    {
        var (backend, _) = await OpenedAsync();
        await backend.Store.WriteAsync("plugins/a", new Dictionary<string, string> { ["k"] = "v" }, 0, CancellationToken.None);
        var status = await backend.GetStatusAsync(CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(new SecretBackendStatus(true, false, EmbeddedSecretBackend.StatusVersion)));
            foreach (var file in Directory.GetFiles(_dir.Path).Where(f => Path.GetFileName(f).StartsWith("embedded_secrets", StringComparison.Ordinal)))
            {
                Assert.That(FileModes.Of(file), Is.EqualTo(FileModes.OwnerOnly), file);
            }

            Assert.That(File.Exists(_dir.File(SecretStoreSettings.EmbeddedStoreFileName) + "-wal"), "WAL mode");
            Assert.That(backend.Mark.Read()!.Value.Sequence, Is.EqualTo(EmbeddedStoreDatabase.ReadHeader(backend.Paths.Database).Sequence));
        });
    }

    [Test]
    public async Task Initialize_is_refused_once_initialized()
    {
        await OpenedAsync();
        Assert.ThrowsAsync<InvalidOperationException>(() => NewBackend().InitializeAsync(CancellationToken.None));
    }

    [Test]
    public async Task KV_v2_semantics_versions_and_check_and_set()
    {
        var (backend, _) = await OpenedAsync();
        var kv = backend.Store;
        var missing = await kv.ReadAsync("plugins/a", CancellationToken.None);
        var v1 = await kv.WriteAsync("plugins/a", new Dictionary<string, string> { ["x"] = "1" }, 0, CancellationToken.None);
        var createAgain = Assert.ThrowsAsync<KvCasMismatchException>(() => kv.WriteAsync("plugins/a", new Dictionary<string, string> { ["x"] = "2" }, 0, CancellationToken.None));
        var stale = Assert.ThrowsAsync<KvCasMismatchException>(() => kv.WriteAsync("plugins/a", new Dictionary<string, string> { ["x"] = "2" }, 5, CancellationToken.None));
        var v2 = await kv.WriteAsync("plugins/a", new Dictionary<string, string> { ["x"] = "2", ["y"] = "3" }, 1, CancellationToken.None);
        var v3 = await kv.WriteAsync("plugins/a", new Dictionary<string, string> { ["x"] = "4" }, null, CancellationToken.None);
        var read = await kv.ReadAsync("plugins/a", CancellationToken.None);
        var casOnMissing = Assert.ThrowsAsync<KvCasMismatchException>(() => kv.WriteAsync("plugins/b", new Dictionary<string, string>(), 1, CancellationToken.None));
        await kv.DeleteAsync("plugins/a", CancellationToken.None);
        var deleted = await kv.ReadAsync("plugins/a", CancellationToken.None);
        var recreated = await kv.WriteAsync("plugins/a", new Dictionary<string, string> { ["z"] = "5" }, 0, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(missing, Is.EqualTo(KvReadResult.NotFound));
            Assert.That((v1, v2, v3, recreated), Is.EqualTo((1, 2, 3, 1)));
            Assert.That(createAgain, Is.Not.Null);
            Assert.That(stale, Is.Not.Null);
            Assert.That(casOnMissing, Is.Not.Null);
            Assert.That(read.State, Is.EqualTo(KvReadState.Found));
            Assert.That(read.Version, Is.EqualTo(3));
            Assert.That(read.Data, Is.EqualTo(new Dictionary<string, string> { ["x"] = "4" }));
            Assert.That(deleted.State, Is.EqualTo(KvReadState.NotFound));
        });
    }

    [Test]
    public async Task Secrets_survive_a_restart_and_need_the_data_key_again()
    {
        var (backend, material) = await OpenedAsync();
        await backend.Store.WriteAsync("core/auth", new Dictionary<string, string> { ["ldap_password"] = "s3cr3t-value" }, 0, CancellationToken.None);

        var restarted = NewBackend();
        var status = await restarted.GetStatusAsync(CancellationToken.None);
        var sealedRead = Assert.ThrowsAsync<SecretBackendSealedException>(() => restarted.Store.ReadAsync("core/auth", CancellationToken.None))!;
        Assert.ThrowsAsync<SecretBackendSealedException>(() => restarted.OpenAsync(null, CancellationToken.None));
        await restarted.UnsealAsync(material, CancellationToken.None);
        var read = await restarted.Store.ReadAsync("core/auth", CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(new SecretBackendStatus(true, true, EmbeddedSecretBackend.StatusVersion)));
            Assert.That(sealedRead.Message, Does.Contain("sealed").And.Contain("LYNDRIX_MASTER_KEY"));
            Assert.That(read.Data!["ldap_password"], Is.EqualTo("s3cr3t-value"));
        });
    }

    [Test]
    public async Task Seal_forgets_the_key_and_every_operation_says_sealed()
    {
        var (backend, _) = await OpenedAsync();
        backend.Seal();
        Assert.Multiple(async () =>
        {
            Assert.That((await backend.GetStatusAsync(CancellationToken.None)).Sealed, Is.True);
            Assert.ThrowsAsync<SecretBackendSealedException>(() => backend.Store.ReadAsync("x", CancellationToken.None));
            Assert.ThrowsAsync<SecretBackendSealedException>(() => backend.Store.WriteAsync("x", new Dictionary<string, string>(), null, CancellationToken.None));
            Assert.ThrowsAsync<SecretBackendSealedException>(() => backend.Store.DeleteAsync("x", CancellationToken.None));
        });
    }

    [Test]
    public async Task The_store_file_holds_no_secret_value_in_clear()
    {
        var (backend, material) = await OpenedAsync();
        await backend.Store.WriteAsync("plugins/p", new Dictionary<string, string> { ["api_token"] = "PLAINTEXT-MARKER-123" }, 0, CancellationToken.None);
        var text = string.Concat(Directory.GetFiles(_dir.Path).Select(f => System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(f))));
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Not.Contain("PLAINTEXT-MARKER-123"));
            Assert.That(text, Does.Not.Contain("api_token"), "field names are encrypted too");
            Assert.That(text, Does.Not.Contain(material.RootToken));
            Assert.That(text, Does.Contain("plugins/p"), "the scan did read the store");
        });
    }

    [Test]
    public async Task A_data_key_from_another_installation_is_rejected()
    {
        await OpenedAsync();
        var foreign = new KeyMaterial(Convert.ToBase64String(new byte[32]), []);
        var ex = Assert.ThrowsAsync<SecretBackendUnsealRejectedException>(() => NewBackend().UnsealAsync(foreign, CancellationToken.None))!;
        Assert.That(ex.Message, Does.Contain("different installations"));
    }

    [Test]
    public async Task Vault_key_material_is_rejected_with_a_hint_about_VAULT_URL()
    {
        await OpenedAsync();
        var vault = new KeyMaterial("hvs.CAESIRootToken", ["abcdef"]);
        var ex = Assert.ThrowsAsync<SecretBackendUnsealRejectedException>(() => NewBackend().UnsealAsync(vault, CancellationToken.None))!;
        Assert.That(ex.Message, Does.Contain("VAULT_URL"));
    }

    [Test]
    public async Task A_ciphertext_moved_to_another_path_or_altered_does_not_decrypt()
    {
        var (backend, _) = await OpenedAsync();
        await backend.Store.WriteAsync("plugins/a", new Dictionary<string, string> { ["k"] = "a-value" }, 0, CancellationToken.None);
        await backend.Store.WriteAsync("plugins/b", new Dictionary<string, string> { ["k"] = "b-value" }, 0, CancellationToken.None);
        using (var attacker = new SqliteConnection($"Data Source={_dir.File(SecretStoreSettings.EmbeddedStoreFileName)};Pooling=False"))
        {
            attacker.Open();
            using var swap = attacker.CreateCommand();
            swap.CommandText = "UPDATE versions SET ciphertext = (SELECT ciphertext FROM versions WHERE path = 'plugins/a') WHERE path = 'plugins/b'";
            Assert.That(swap.ExecuteNonQuery(), Is.EqualTo(1));
        }

        var ex = Assert.ThrowsAsync<InvalidDataException>(() => backend.Store.ReadAsync("plugins/b", CancellationToken.None))!;
        Assert.Multiple(async () =>
        {
            Assert.That(ex.Message, Does.Contain("plugins/b").And.Contain("altered"));
            Assert.That((await backend.Store.ReadAsync("plugins/a", CancellationToken.None)).Data!["k"], Is.EqualTo("a-value"));
        });
    }

    [Test]
    public async Task A_damaged_store_file_is_refused_with_a_clear_error()
    {
        var (backend, _) = await OpenedAsync();
        backend.Seal();
        await File.WriteAllTextAsync(_dir.File(SecretStoreSettings.EmbeddedStoreFileName), "{ not a database, not even close; padding padding padding padding padding padding padding padding padding padding }");
        foreach (var companion in new[] { "-wal", "-shm" })
        {
            File.Delete(_dir.File(SecretStoreSettings.EmbeddedStoreFileName) + companion);
        }

        var ex = Assert.ThrowsAsync<SecretStoreIntegrityException>(() => NewBackend().GetStatusAsync(CancellationToken.None))!;
        Assert.That(ex.Message, Does.Contain("not an embedded secret store").And.Contain("backup"));
    }

    [Test]
    public async Task A_store_without_its_key_file_is_refused_and_never_initialized_over()
    {
        await OpenedAsync();
        File.Delete(_dir.File("vault_keys.enc"));
        var backend = NewBackend();
        var status = Assert.ThrowsAsync<SecretStoreIntegrityException>(() => backend.GetStatusAsync(CancellationToken.None))!;
        var init = Assert.ThrowsAsync<SecretStoreIntegrityException>(() => backend.InitializeAsync(CancellationToken.None));
        Assert.Multiple(() =>
        {
            Assert.That(status.Message, Does.Contain("embedded_secrets.db").And.Contain("vault_keys.enc").And.Contain("Restore"));
            Assert.That(init, Is.Not.Null);
            Assert.That(File.Exists(_dir.File(SecretStoreSettings.EmbeddedStoreFileName)));
        });
    }

    [TestCase("")]
    [TestCase("/abs")]
    [TestCase("a/../b")]
    [TestCase("a//b")]
    [TestCase("trailing/")]
    [TestCase("ctl\u0001")]
    public async Task Malformed_paths_are_refused(string path)
    {
        var (backend, _) = await OpenedAsync();
        Assert.Multiple(() =>
        {
            Assert.ThrowsAsync<ArgumentException>(() => backend.Store.ReadAsync(path, CancellationToken.None));
            Assert.ThrowsAsync<ArgumentException>(() => backend.Store.WriteAsync(path, new Dictionary<string, string>(), null, CancellationToken.None));
            Assert.ThrowsAsync<ArgumentException>(() => backend.History.ReadMetadataAsync(path, CancellationToken.None));
        });
    }

    [Test]
    public async Task Concurrent_writers_on_one_path_through_cas_lose_nothing()
    {
        var (backend, _) = await OpenedAsync();
        var kv = backend.Store;
        async Task Add(string key)
        {
            while (true)
            {
                var current = await kv.ReadAsync("shared", CancellationToken.None);
                var data = current.Data is null ? new Dictionary<string, string>() : new Dictionary<string, string>(current.Data);
                data[key] = key;
                try
                {
                    await kv.WriteAsync("shared", data, current.Version, CancellationToken.None);
                    return;
                }
                catch (KvCasMismatchException)
                {
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(() => Add($"k{i}"))));
        var final = await kv.ReadAsync("shared", CancellationToken.None);
        Assert.That(final.Data!.Keys, Is.EquivalentTo(Enumerable.Range(0, 40).Select(i => $"k{i}")));
    }
}
