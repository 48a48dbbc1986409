using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Embedded;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Secrets.Lifecycle;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;
using static Lyndrix.Core.Tests.Secrets.Support.SecretTestSettings;

namespace Lyndrix.Core.Tests.Secrets.Lifecycle;

/// <summary>The lifecycle's event sequences over the real embedded backend.</summary>
public class EmbeddedLifecycleTests
{
    private const string Maintenance = CoreTopics.SystemMaintenanceMode;

    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory("lyndrix-secrets");

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private EmbeddedSecretBackend Backend(SecretStoreSettings settings) => EmbeddedSecretBackend.Create(settings, TimeProvider.System);

    private async Task<LifecycleHarness> StartAsync(string? masterKey = MasterKey, bool dev = false, AtomicFileWriter? writer = null)
    {
        var settings = For(_dir.Path, masterKey, dev);
        return await LifecycleHarness.StartAsync(settings, Backend(settings), writer);
    }

    /// <summary>First boot with a master key, then a stop: leaves an initialized store behind.</summary>
    private async Task InitializeStoreAsync(string key = MasterKey)
    {
        await using var first = await StartAsync(key);
        await first.Events.WaitFor(CoreTopics.VaultReadyForData);
        await first.Backend.Store.WriteAsync("plugins/p", new Dictionary<string, string> { ["k"] = "kept across restarts" }, 0, CancellationToken.None);
    }

    [Test]
    public async Task Fresh_init_with_a_master_key_writes_the_key_file_first_and_opens()
    {
        await using var h = await StartAsync();
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
        await h.SettleAsync();
        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Topics, Is.EqualTo(new[]
            {
                CoreTopics.VaultNeedsInit, CoreTopics.VaultInitRequested, CoreTopics.VaultOpened, CoreTopics.VaultReadyForData,
            }));
            Assert.That(h.Events.Last(CoreTopics.VaultInitRequested).Payload.ContainsKey("key"), Is.False, "the key never travels on the bus");
            Assert.That(h.Events.Last(CoreTopics.VaultInitRequested).Payload.GetString("source"), Is.EqualTo("auto"));
            Assert.That(FileModes.Of(h.Settings.KeyFilePath), Is.EqualTo(FileModes.OwnerOnly));
            Assert.That(File.Exists(h.Settings.EmbeddedStorePath));
            Assert.That(h.Lifecycle.Snapshot, Is.EqualTo(new SecretStoreSnapshot(SecretStoreUiState.Ready, true, null, null)));
            Assert.That(h.VaultDetail, Does.Contain("open"));
        });
    }

    [Test]
    public async Task Restart_with_the_master_key_auto_unseals_and_the_data_is_there()
    {
        await InitializeStoreAsync();
        await using var h = await StartAsync();
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
        await h.SettleAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(h.Events.Topics, Is.EqualTo(new[]
            {
                CoreTopics.VaultNeedsUnseal, CoreTopics.VaultUnsealRequested, CoreTopics.VaultOpened, CoreTopics.VaultReadyForData,
            }));
            Assert.That((await h.Backend.Store.ReadAsync("plugins/p", CancellationToken.None)).Data!["k"], Is.EqualTo("kept across restarts"));
        });
    }

    [Test]
    public async Task Without_a_master_key_it_waits_for_init_says_how_and_accepts_a_manual_init_event()
    {
        await using var h = await StartAsync(masterKey: null);
        await h.Events.WaitFor(CoreTopics.VaultNeedsInit);
        await h.SettleAsync();
        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Topics, Is.EqualTo(new[] { CoreTopics.VaultNeedsInit }));
            Assert.That(h.VaultDetail, Does.Contain("LYNDRIX_MASTER_KEY").And.Contain("/api/vault/init").And.Contain("lyndrix vault init"));
            Assert.That(h.Lifecycle.Snapshot.UiState, Is.EqualTo(SecretStoreUiState.NeedsInit));
            Assert.That(File.Exists(h.Settings.KeyFilePath), Is.False);
        });

        h.Bus.Emit(CoreTopics.VaultInitRequested, EventPayload.Create(("key", MasterKey)), source: "lyndrix.ui.setup");
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
        Assert.That(h.Events.Topics, Is.EqualTo(new[]
        {
            CoreTopics.VaultNeedsInit, CoreTopics.VaultInitRequested, CoreTopics.VaultOpened, CoreTopics.VaultReadyForData,
        }));
        Assert.That(await h.KeyFile.ReadAsync(MasterKey, CancellationToken.None), Is.Not.Null);
    }

    [Test]
    public async Task Restart_without_a_master_key_waits_for_unseal_and_a_manual_unseal_event_opens_it()
    {
        await InitializeStoreAsync();
        await using var h = await StartAsync(masterKey: null);
        await h.Events.WaitFor(CoreTopics.VaultNeedsUnseal);
        await h.SettleAsync();
        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Topics, Is.EqualTo(new[] { CoreTopics.VaultNeedsUnseal }));
            Assert.That(h.VaultDetail, Does.Contain("LYNDRIX_MASTER_KEY").And.Contain("/api/vault/unseal").And.Contain("lyndrix vault unseal"));
        });

        h.Bus.Emit(CoreTopics.VaultUnsealRequested, EventPayload.Create(("key", "a wrong but strong key")), source: "lyndrix.ui.unseal");
        await h.Events.WaitFor(CoreTopics.VaultUnsealFailed);
        h.Bus.Emit(CoreTopics.VaultUnsealRequested, EventPayload.Create(("key", MasterKey)), source: "lyndrix.ui.unseal");
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Last(CoreTopics.VaultUnsealFailed).Payload.GetString("reason"), Is.EqualTo("incorrect_key_or_tampered_file"));
            Assert.That(h.Events.Topics, Is.EqualTo(new[]
            {
                CoreTopics.VaultNeedsUnseal, CoreTopics.VaultUnsealRequested, CoreTopics.VaultUnsealFailed, CoreTopics.VaultUnsealRequested,
                CoreTopics.VaultOpened, CoreTopics.VaultReadyForData,
            }));
        });
    }

    [Test]
    public async Task A_wrong_master_key_fails_the_unseal_clearly_and_never_leaks_the_key()
    {
        await InitializeStoreAsync();
        const string wrong = "definitely the wrong key";
        await using var h = await StartAsync(wrong);
        await h.Events.WaitFor(CoreTopics.VaultUnsealFailed);
        await h.SettleAsync();
        var failure = h.Events.Last(CoreTopics.VaultUnsealFailed).Payload;
        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Topics, Is.EqualTo(new[] { CoreTopics.VaultNeedsUnseal, CoreTopics.VaultUnsealRequested, CoreTopics.VaultUnsealFailed }));
            Assert.That(failure.GetString("reason"), Is.EqualTo("incorrect_key_or_tampered_file"));
            Assert.That(failure.GetString("message"), Does.Contain("master key is wrong or the file was altered"));
            Assert.That(h.Lifecycle.Snapshot.LastFailure!.Reason, Is.EqualTo("incorrect_key_or_tampered_file"));
            Assert.That(h.Lifecycle.Snapshot.UiState, Is.EqualTo(SecretStoreUiState.NeedsUnseal));
            Assert.That(h.Logs.AllText, Does.Not.Contain(wrong));
            Assert.That(h.VaultDetail, Does.Contain("incorrect_key_or_tampered_file"));
        });
    }

    [Test]
    public async Task A_weak_master_key_fails_the_init_and_writes_nothing()
    {
        await using var h = await StartAsync("abcabcabcabcabc");
        await h.Events.WaitFor(CoreTopics.VaultInitFailed);
        await h.SettleAsync();
        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Topics, Is.EqualTo(new[] { CoreTopics.VaultNeedsInit, CoreTopics.VaultInitRequested, CoreTopics.VaultInitFailed }));
            Assert.That(h.Events.Last(CoreTopics.VaultInitFailed).Payload.GetString("reason"), Is.EqualTo("weak_key"));
            Assert.That(h.Events.Last(CoreTopics.VaultInitFailed).Payload.GetString("message"), Does.Contain("Change LYNDRIX_MASTER_KEY"));
            Assert.That(Directory.GetFiles(_dir.Path), Is.Empty);
        });
    }

    [Test]
    public async Task A_lost_key_file_refuses_the_start_naming_both_files()
    {
        await InitializeStoreAsync();
        File.Delete(_dir.File(VaultKeyFile.FileName));
        var ex = Assert.ThrowsAsync<SecretStoreIntegrityException>(() => StartAsync())!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.Contain(_dir.File(VaultKeyFile.FileName)).And.Contain(_dir.File(SecretStoreSettings.EmbeddedStoreFileName)));
            Assert.That(ex.Message, Does.Contain("Restore"));
            Assert.That(File.Exists(_dir.File(VaultKeyFile.FileName)), Is.False, "nothing was initialized in its place");
        });
    }

    [Test]
    public async Task A_lost_store_refuses_the_start_instead_of_creating_an_empty_one()
    {
        await InitializeStoreAsync();
        foreach (var file in Directory.GetFiles(_dir.Path, SecretStoreSettings.EmbeddedStoreFileName + "*"))
        {
            File.Delete(file);
        }

        var ex = Assert.ThrowsAsync<SecretStoreIntegrityException>(() => StartAsync())!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.Contain(_dir.File(VaultKeyFile.FileName)).And.Contain(_dir.File(SecretStoreSettings.EmbeddedStoreFileName)));
            Assert.That(ex.Message, Does.Contain("Restore").And.Contain("empty"));
            Assert.That(File.Exists(_dir.File(SecretStoreSettings.EmbeddedStoreFileName)), Is.False, "no empty store was created");
        });
    }

    [Test]
    public async Task A_store_deleted_while_running_closes_the_store_and_says_what_to_restore()
    {
        await using var h = await StartAsync();
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
        foreach (var file in Directory.GetFiles(_dir.Path, SecretStoreSettings.EmbeddedStoreFileName + "*"))
        {
            File.Delete(file);
        }

        await h.Events.WaitFor(CoreTopics.VaultConnectionFailed);
        var failure = h.Events.Last(CoreTopics.VaultConnectionFailed).Payload;
        Assert.Multiple(() =>
        {
            Assert.That(failure.GetString("reason"), Is.EqualTo("store_integrity"));
            Assert.That(failure.GetString("message"), Does.Contain(SecretStoreSettings.EmbeddedStoreFileName));
            Assert.ThrowsAsync<SecretBackendSealedException>(() => h.Backend.Store.ReadAsync("plugins/p", CancellationToken.None));
            Assert.That(h.Lifecycle.Snapshot.UiState, Is.EqualTo(SecretStoreUiState.Error));
        });
    }

    [Test]
    public async Task A_key_file_write_failure_aborts_the_init_before_anything_depends_on_it()
    {
        await using var h = await StartAsync(writer: new AtomicFileWriter(_ => throw new IOException("No space left on device (simulated)")));
        await h.Events.WaitFor(CoreTopics.VaultInitFailed);
        await h.SettleAsync();
        var failure = h.Events.Last(CoreTopics.VaultInitFailed).Payload;
        Assert.Multiple(async () =>
        {
            Assert.That(h.Events.Topics, Is.EqualTo(new[] { CoreTopics.VaultNeedsInit, CoreTopics.VaultInitRequested, CoreTopics.VaultInitFailed }));
            Assert.That(failure.GetString("reason"), Is.EqualTo("key_file_write_failed"));
            Assert.That(failure.GetString("message"), Does.Contain("No space left").And.Contain("Nothing was initialized"));
            Assert.That(Directory.GetFiles(_dir.Path), Is.Empty, "no key file, no store file, no temp file");
            Assert.That((await h.Backend.GetStatusAsync(CancellationToken.None)).Initialized, Is.False);
            Assert.That(h.Lifecycle.HasPendingInitialization, Is.False, "the embedded store has nothing to keep");
        });
    }

    [Test]
    public async Task A_seal_at_run_time_is_noticed_and_auto_unsealed_under_maintenance()
    {
        await using var h = await StartAsync();
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
        var before = h.Events.Topics.Count;
        ((EmbeddedSecretBackend)h.Backend).Seal();
        await h.Events.WaitForCount(CoreTopics.VaultReadyForData, 2);
        await h.SettleAsync();
        Assert.That(h.Events.Topics.Skip(before), Is.EqualTo(new[]
        {
            $"{Maintenance}(on:sealed)", CoreTopics.VaultNeedsUnseal, CoreTopics.VaultUnsealRequested, $"{Maintenance}(off)",
            CoreTopics.VaultOpened, CoreTopics.VaultReadyForData,
        }));
    }

    [Test]
    public async Task In_dev_without_a_master_key_one_is_generated_owner_only_with_a_loud_warning()
    {
        string generated;
        await using (var h = await StartAsync(masterKey: null, dev: true))
        {
            await h.Events.WaitFor(CoreTopics.VaultReadyForData);
            var path = _dir.File(SecretStoreSettings.DevMasterKeyFileName);
            generated = (await File.ReadAllTextAsync(path)).Trim();
            Assert.Multiple(() =>
            {
                Assert.That(FileModes.Of(path), Is.EqualTo(FileModes.OwnerOnly));
                Assert.That(MasterKeyPolicy.Check(generated), Is.Null);
                Assert.That(h.Lifecycle.MasterKeyOrigin, Is.EqualTo(MasterKeyOrigin.DevelopmentFile));
                Assert.That(h.Logs.AllText, Does.Contain("DEVELOPMENT ONLY"));
                Assert.That(h.Logs.AllText, Does.Not.Contain(generated));
            });
        }

        await using var restarted = await StartAsync(masterKey: null, dev: true);
        await restarted.Events.WaitFor(CoreTopics.VaultReadyForData);
        Assert.That(restarted.Events.Topics, Does.Contain(CoreTopics.VaultUnsealRequested));
        Assert.That((await File.ReadAllTextAsync(_dir.File(SecretStoreSettings.DevMasterKeyFileName))).Trim(), Is.EqualTo(generated));
    }

    [Test]
    public async Task Outside_dev_no_master_key_is_ever_generated()
    {
        await using var h = await StartAsync(masterKey: null, dev: false);
        await h.Events.WaitFor(CoreTopics.VaultNeedsInit);
        await h.SettleAsync();
        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(_dir.File(SecretStoreSettings.DevMasterKeyFileName)), Is.False);
            Assert.That(h.Lifecycle.MasterKeyOrigin, Is.EqualTo(MasterKeyOrigin.None));
        });
    }

    [Test]
    public async Task In_dev_a_store_initialized_with_another_key_is_not_given_a_fresh_one()
    {
        await InitializeStoreAsync();
        await using var h = await StartAsync(masterKey: null, dev: true);
        await h.Events.WaitFor(CoreTopics.VaultNeedsUnseal);
        await h.SettleAsync();
        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(_dir.File(SecretStoreSettings.DevMasterKeyFileName)), Is.False);
            Assert.That(h.Logs.AllText, Does.Contain("initialized with another master key"));
            Assert.That(h.Events.Topics, Is.EqualTo(new[] { CoreTopics.VaultNeedsUnseal }));
        });
    }
}
