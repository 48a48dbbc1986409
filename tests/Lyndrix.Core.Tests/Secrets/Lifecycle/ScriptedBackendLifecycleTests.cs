using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Secrets.Lifecycle;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;
using Moq;
using static Lyndrix.Core.Tests.Secrets.Support.SecretTestSettings;

namespace Lyndrix.Core.Tests.Secrets.Lifecycle;

/// <summary>The lifecycle over a Moq'd, Vault-like backend: outages, hangs, refusals, and states the embedded store never has.</summary>
public class ScriptedBackendLifecycleTests
{
    private const string Maintenance = CoreTopics.SystemMaintenanceMode;

    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory("lyndrix-secrets");

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private Task<LifecycleHarness> StartAsync(ScriptedBackend backend, string? masterKey = MasterKey, AtomicFileWriter? writer = null, string? securityDir = null) =>
        LifecycleHarness.StartAsync(For(securityDir ?? _dir.Path, masterKey), backend.Object, writer);

    private async Task WriteKeyFileAsync(KeyMaterial material) =>
        await new VaultKeyFile(_dir.File(VaultKeyFile.FileName), FastArgon).CreateAsync(material, MasterKey, CancellationToken.None);

    [Test]
    public async Task Fresh_init_stores_the_keys_before_unsealing_with_them()
    {
        var backend = new ScriptedBackend(initialized: false, @sealed: true);
        var keyFileExistedAtUnseal = false;
        backend.Mock.Setup(b => b.UnsealAsync(It.IsAny<KeyMaterial>(), It.IsAny<CancellationToken>())).Returns(() =>
        {
            keyFileExistedAtUnseal = File.Exists(_dir.File(VaultKeyFile.FileName));
            backend.Status = backend.Status with { Sealed = false };
            return Task.FromResult(backend.Status);
        });
        await using var h = await StartAsync(backend);
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
        Assert.Multiple(async () =>
        {
            Assert.That(keyFileExistedAtUnseal, "the key file is written before anything depends on the keys");
            Assert.That((await h.KeyFile.ReadAsync(MasterKey, CancellationToken.None)).RootToken, Is.EqualTo(backend.Material.RootToken));
            Assert.That(h.Events.Topics, Is.EqualTo(new[]
            {
                CoreTopics.VaultNeedsInit, CoreTopics.VaultInitRequested, CoreTopics.VaultOpened, CoreTopics.VaultReadyForData,
            }));
        });
        backend.Mock.Verify(b => b.OpenAsync(It.Is<KeyMaterial?>(m => m!.RootToken == backend.Material.RootToken), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Test]
    public async Task Unreachable_then_recovered_retries_with_backoff_under_maintenance_and_lifts_it()
    {
        var backend = new ScriptedBackend(initialized: true, @sealed: true);
        await WriteKeyFileAsync(backend.Material);
        backend.FailNext(3);
        await using var h = await StartAsync(backend);
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
        await h.SettleAsync();
        var attempts = h.Events.Events.Where(e => e.Topic == CoreTopics.VaultConnectionFailed).Select(e => e.Payload.GetInt64("attempt")).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Topics, Is.EqualTo(new[]
            {
                $"{Maintenance}(on:unreachable)", CoreTopics.VaultConnectionFailed, CoreTopics.VaultConnectionFailed, CoreTopics.VaultConnectionFailed,
                $"{Maintenance}(off)", CoreTopics.VaultNeedsUnseal, CoreTopics.VaultUnsealRequested, CoreTopics.VaultOpened, CoreTopics.VaultReadyForData,
            }));
            Assert.That(attempts, Is.EqualTo(new long?[] { 1, 2, 3 }));
            Assert.That(h.Events.Last(CoreTopics.VaultConnectionFailed).Payload.GetString("reason"), Is.EqualTo("unreachable"));
            Assert.That(h.Lifecycle.Snapshot.MaintenanceReason, Is.Null);
        });
    }

    [Test]
    public async Task An_outage_while_running_is_announced_and_recovers_without_a_second_open()
    {
        var backend = new ScriptedBackend(initialized: true, @sealed: false);
        await WriteKeyFileAsync(backend.Material);
        await using var h = await StartAsync(backend);
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
        var before = h.Events.Topics.Count;
        backend.FailNext(2);
        await h.Events.WaitFor($"{Maintenance}");
        await MaintenanceAssertions.LiftedAsync(h);
        await h.SettleAsync();
        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Topics.Skip(before).First(), Is.EqualTo($"{Maintenance}(on:unreachable)"));
            Assert.That(h.Events.Topics.Skip(before).Last(), Is.EqualTo($"{Maintenance}(off)"));
            Assert.That(h.Events.Topics.Skip(before), Does.Contain(CoreTopics.VaultConnectionFailed));
            Assert.That(h.Events.Topics.Skip(before), Does.Not.Contain(CoreTopics.VaultOpened));
            Assert.That(h.Lifecycle.Snapshot.UiState, Is.EqualTo(SecretStoreUiState.Ready));
            Assert.That(h.Lifecycle.Snapshot.Connected);
        });
    }

    [Test]
    public async Task A_backend_that_never_answers_times_out_and_counts_as_unreachable()
    {
        var backend = new ScriptedBackend(initialized: true, @sealed: true) { Hang = true };
        var settings = For(_dir.Path);
        await using var h = await LifecycleHarness.StartAsync(new SecretStoreSettings
        {
            SecurityDir = settings.SecurityDir, IsDev = false, MasterKey = MasterKey, Argon = settings.Argon,
            RetryDelay = settings.RetryDelay, RetryMaxDelay = settings.RetryMaxDelay, WatchdogInterval = settings.WatchdogInterval,
            OperationTimeout = TimeSpan.FromMilliseconds(100),
        }, backend.Object);
        await h.Events.WaitFor(CoreTopics.VaultConnectionFailed);
        Assert.That(h.Events.Last(CoreTopics.VaultConnectionFailed).Payload.GetString("message"), Does.Contain("did not answer 'status' within 0.1 s"));
        Assert.That(h.VaultDetail, Does.Contain("retrying"));
        backend.Hang = false;
        await h.Events.WaitFor(CoreTopics.VaultNeedsUnseal);
    }

    [Test]
    public async Task Already_unsealed_with_a_master_key_restores_the_token_from_the_key_file()
    {
        var backend = new ScriptedBackend(initialized: true, @sealed: false);
        await WriteKeyFileAsync(backend.Material);
        await using var h = await StartAsync(backend);
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
        Assert.That(h.Events.Topics, Is.EqualTo(new[] { CoreTopics.VaultOpened, CoreTopics.VaultReadyForData }));
        backend.Mock.Verify(b => b.OpenAsync(It.Is<KeyMaterial?>(m => m != null && m.RootToken == backend.Material.RootToken), It.IsAny<CancellationToken>()), Times.Once);
        backend.Mock.Verify(b => b.UnsealAsync(It.IsAny<KeyMaterial>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Test]
    public async Task Already_unsealed_without_any_credential_says_exactly_what_to_set_instead_of_hanging()
    {
        var backend = new ScriptedBackend(initialized: true, @sealed: false);
        backend.Mock.Setup(b => b.OpenAsync(null, It.IsAny<CancellationToken>()))
            .ThrowsAsync(new SecretBackendAuthException("no token is configured for sys/mounts."));
        await using var h = await StartAsync(backend, masterKey: null);
        await h.Events.WaitFor(CoreTopics.VaultAuthFailed);
        await h.SettleAsync();
        var failure = h.Events.Last(CoreTopics.VaultAuthFailed).Payload;
        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Topics, Is.EqualTo(new[] { CoreTopics.VaultAuthFailed }), "reported once, not on every watchdog tick");
            Assert.That(failure.GetString("reason"), Is.EqualTo("no_credentials"));
            Assert.That(failure.GetString("message"), Does.Contain("LYNDRIX_MASTER_KEY").And.Contain("VAULT_TOKEN").And.Contain("AppRole"));
            Assert.That(h.VaultDetail, Does.Contain("VAULT_TOKEN"));
            Assert.That(h.Lifecycle.Snapshot.UiState, Is.EqualTo(SecretStoreUiState.Error));
            Assert.That(h.Lifecycle.Snapshot.Connected, Is.False);
        });
    }

    [Test]
    public async Task A_token_the_backend_refuses_is_an_auth_failure_with_the_backends_reason()
    {
        var backend = new ScriptedBackend(initialized: true, @sealed: false);
        await WriteKeyFileAsync(backend.Material);
        backend.Mock.Setup(b => b.OpenAsync(It.IsAny<KeyMaterial?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new SecretBackendAuthException("permission denied listing sys/mounts: the token's policies do not allow mount inspection."));
        await using var h = await StartAsync(backend);
        await h.Events.WaitFor(CoreTopics.VaultAuthFailed);
        var failure = h.Events.Last(CoreTopics.VaultAuthFailed).Payload;
        Assert.Multiple(() =>
        {
            Assert.That(failure.GetString("reason"), Is.EqualTo("token_rejected"));
            Assert.That(failure.GetString("message"), Does.Contain("mount inspection"));
            Assert.That(h.Events.Has(CoreTopics.VaultOpened), Is.False);
        });
    }

    [Test]
    public async Task A_sealed_backend_without_a_master_key_after_a_runtime_seal_waits_and_says_how_to_unseal()
    {
        var backend = new ScriptedBackend(initialized: true, @sealed: false);
        await using var h = await StartAsync(backend, masterKey: null);
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
        var before = h.Events.Topics.Count;
        backend.Status = backend.Status with { Sealed = true };
        await h.Events.WaitFor(CoreTopics.VaultNeedsUnseal);
        await h.SettleAsync();
        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Topics.Skip(before), Is.EqualTo(new[] { $"{Maintenance}(on:sealed)", CoreTopics.VaultNeedsUnseal }));
            Assert.That(h.VaultDetail, Does.Contain("sealed").And.Contain("/api/vault/unseal"));
            Assert.That(h.Lifecycle.Snapshot.Connected, Is.False);
        });
    }

    [Test]
    public async Task An_unseal_the_backend_refuses_is_reported_with_its_reason()
    {
        var backend = new ScriptedBackend(initialized: true, @sealed: true);
        await WriteKeyFileAsync(backend.Material);
        backend.Mock.Setup(b => b.UnsealAsync(It.IsAny<KeyMaterial>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new SecretBackendUnsealRejectedException("Unseal failed, invalid key"));
        await using var h = await StartAsync(backend);
        await h.Events.WaitFor(CoreTopics.VaultUnsealFailed);
        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Last(CoreTopics.VaultUnsealFailed).Payload.GetString("reason"), Is.EqualTo("unseal_rejected"));
            Assert.That(h.Events.Last(CoreTopics.VaultUnsealFailed).Payload.GetString("message"), Does.Contain("invalid key"));
        });
    }

    [Test]
    public async Task A_threshold_higher_than_the_stored_keys_is_reported_as_incomplete()
    {
        var backend = new ScriptedBackend(initialized: true, @sealed: true);
        await WriteKeyFileAsync(backend.Material);
        backend.Mock.Setup(b => b.UnsealAsync(It.IsAny<KeyMaterial>(), It.IsAny<CancellationToken>())).ReturnsAsync(new SecretBackendStatus(true, true));
        await using var h = await StartAsync(backend);
        await h.Events.WaitFor(CoreTopics.VaultUnsealFailed);
        Assert.That(h.Events.Last(CoreTopics.VaultUnsealFailed).Payload.GetString("reason"), Is.EqualTo("unseal_incomplete"));
    }

    [Test]
    public async Task An_existing_key_file_is_never_overwritten_by_an_init()
    {
        var backend = new ScriptedBackend(initialized: false, @sealed: true);
        await WriteKeyFileAsync(new KeyMaterial("hvs.precious-old-root", ["old"]));
        var before = await File.ReadAllBytesAsync(_dir.File(VaultKeyFile.FileName));
        await using var h = await StartAsync(backend);
        await h.Events.WaitFor(CoreTopics.VaultInitFailed);
        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Last(CoreTopics.VaultInitFailed).Payload.GetString("reason"), Is.EqualTo("key_file_exists"));
            Assert.That(File.ReadAllBytes(_dir.File(VaultKeyFile.FileName)), Is.EqualTo(before));
        });
        backend.Mock.Verify(b => b.InitializeAsync(It.IsAny<CancellationToken>()), Times.Never);
    }

    [Test]
    public async Task An_unwritable_security_folder_stops_the_init_before_the_backend_is_initialized()
    {
        var blocker = _dir.File("a-file");
        await File.WriteAllTextAsync(blocker, "x");
        var backend = new ScriptedBackend(initialized: false, @sealed: true);
        await using var h = await StartAsync(backend, securityDir: Path.Combine(blocker, "security"));
        await h.Events.WaitFor(CoreTopics.VaultInitFailed);
        Assert.That(h.Events.Last(CoreTopics.VaultInitFailed).Payload.GetString("reason"), Is.EqualTo("key_file_write_failed"));
        backend.Mock.Verify(b => b.InitializeAsync(It.IsAny<CancellationToken>()), Times.Never);
    }

    [Test]
    public async Task Keys_whose_file_could_not_be_written_are_kept_until_a_retry_writes_them()
    {
        var backend = new ScriptedBackend(initialized: false, @sealed: true);
        var diskFull = true;
        await using var h = await StartAsync(backend, writer: new AtomicFileWriter(_ =>
        {
            if (Volatile.Read(ref diskFull))
            {
                throw new IOException("No space left on device (simulated)");
            }
        }));
        await h.Events.WaitFor(CoreTopics.VaultInitFailed);
        Assert.Multiple(() =>
        {
            Assert.That(h.Events.Last(CoreTopics.VaultInitFailed).Payload.GetString("reason"), Is.EqualTo("key_file_write_failed"));
            Assert.That(h.Events.Last(CoreTopics.VaultInitFailed).Payload.GetString("message"), Does.Contain("held in memory"));
            Assert.That(h.Lifecycle.HasPendingInitialization);
            Assert.That(File.Exists(_dir.File(VaultKeyFile.FileName)), Is.False);
        });
        backend.Mock.Verify(b => b.UnsealAsync(It.IsAny<KeyMaterial>(), It.IsAny<CancellationToken>()), Times.Never);
        backend.Mock.Verify(b => b.OpenAsync(It.IsAny<KeyMaterial?>(), It.IsAny<CancellationToken>()), Times.Never);

        Volatile.Write(ref diskFull, false);
        h.Bus.Emit(CoreTopics.VaultInitRequested, EventPayload.Create(("key", MasterKey)), source: "lyndrix.ui.setup");
        await h.Events.WaitFor(CoreTopics.VaultReadyForData);
        Assert.Multiple(async () =>
        {
            Assert.That((await h.KeyFile.ReadAsync(MasterKey, CancellationToken.None)).RootToken, Is.EqualTo(backend.Material.RootToken));
            Assert.That(h.Lifecycle.HasPendingInitialization, Is.False);
        });
        backend.Mock.Verify(b => b.InitializeAsync(It.IsAny<CancellationToken>()), Times.Once);
    }

    [Test]
    public async Task A_manual_request_without_a_key_is_ignored()
    {
        var backend = new ScriptedBackend(initialized: false, @sealed: true);
        await using var h = await StartAsync(backend, masterKey: null);
        await h.Events.WaitFor(CoreTopics.VaultNeedsInit);
        h.Bus.Emit(CoreTopics.VaultInitRequested, EventPayload.Create(("source", "somebody")), source: "some.plugin");
        await h.SettleAsync();
        backend.Mock.Verify(b => b.InitializeAsync(It.IsAny<CancellationToken>()), Times.Never);
    }
}
