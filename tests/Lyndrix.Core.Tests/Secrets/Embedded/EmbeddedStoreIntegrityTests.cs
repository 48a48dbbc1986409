using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Embedded;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Secrets.Embedded;

/// <summary>
/// The embedded store's files must belong together. Each case is what an operator's mistake or an attacker with write access
/// to SECURITY_DIR produces; the host must refuse rather than start empty or serve old secrets.
/// </summary>
public class EmbeddedStoreIntegrityTests
{
    private TempDirectory _dir = null!;
    private EmbeddedStorePaths _paths = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDirectory("lyndrix-integrity");
        _paths = EmbeddedStorePaths.In(_dir.Path);
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private async Task<KeyMaterial> StoreWithSecretsAsync(params string[] values)
    {
        var (backend, material) = await EmbeddedStores.OpenAsync(_dir.Path);
        using (backend)
        {
            foreach (var value in values)
            {
                await backend.Store.WriteAsync("core/auth", new Dictionary<string, string> { ["password"] = value }, null, CancellationToken.None);
            }
        }

        return material;
    }

    /// <summary>What a backup tool copies while nothing runs: the database file (no WAL: the last close checkpointed it).</summary>
    private string Backup(string name)
    {
        var copy = _dir.File(name);
        File.Copy(_paths.Database, copy);
        return copy;
    }

    private void DeleteStore()
    {
        foreach (var file in Directory.GetFiles(_dir.Path, EmbeddedStorePaths.DatabaseFileName + "*"))
        {
            File.Delete(file);
        }
    }

    private SecretStoreIntegrityException Refused() => Assert.Throws<SecretStoreIntegrityException>(() => EmbeddedStoreIntegrity.Check(_paths))!;

    [Test]
    public void An_empty_folder_is_a_new_installation() =>
        Assert.That(EmbeddedStoreIntegrity.Check(_paths), Is.EqualTo(EmbeddedStoreState.Uninitialized));

    [Test]
    public async Task A_store_in_use_with_its_key_file_and_mark_is_ready()
    {
        await StoreWithSecretsAsync("a", "b");
        Assert.That(EmbeddedStoreIntegrity.Check(_paths), Is.EqualTo(EmbeddedStoreState.Ready));
    }

    [Test]
    public async Task A_key_file_without_its_store_is_refused_naming_both_files_and_how_to_restore()
    {
        await StoreWithSecretsAsync("a");
        DeleteStore();
        var ex = Refused();
        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.Contain(_paths.KeyFile).And.Contain(_paths.Database));
            Assert.That(ex.Message, Does.Contain("Restore").And.Contain("backup"));
            Assert.That(ex.Acceptable, Is.False, "accept-restore cannot conjure a store");
        });
    }

    [Test]
    public async Task A_store_without_its_key_file_is_refused_naming_both_files()
    {
        await StoreWithSecretsAsync("a");
        File.Delete(_paths.KeyFile);
        var ex = Refused();
        Assert.That(ex.Message, Does.Contain(_paths.KeyFile).And.Contain(_paths.Database).And.Contain("Restore"));
    }

    [Test]
    public async Task Store_and_key_file_gone_but_the_mark_left_is_refused_rather_than_starting_empty()
    {
        await StoreWithSecretsAsync("a");
        DeleteStore();
        File.Delete(_paths.KeyFile);
        var ex = Refused();
        Assert.That(ex.Message, Does.Contain(_paths.Mark).And.Contain("delete"));
    }

    [Test]
    public async Task A_store_rolled_back_from_an_old_copy_is_refused_and_accept_restore_lets_it_start_with_the_old_data()
    {
        var material = await StoreWithSecretsAsync("old-password");
        var old = Backup("old.db");
        using (var current = await EmbeddedStores.ReopenAsync(_dir.Path, material))
        {
            await current.Store.WriteAsync("core/auth", new Dictionary<string, string> { ["password"] = "rotated" }, null, CancellationToken.None);
        }

        DeleteStore();
        File.Copy(old, _paths.Database);
        var ex = Refused();
        var backend = new EmbeddedSecretBackend(_paths, TimeProvider.System);
        var unseal = Assert.ThrowsAsync<SecretStoreIntegrityException>(() => backend.UnsealAsync(material, CancellationToken.None));
        var (before, accepted) = await EmbeddedStoreIntegrity.AcceptRestoreAsync(_paths, CancellationToken.None);
        await backend.UnsealAsync(material, CancellationToken.None);
        var read = await backend.Store.ReadAsync("core/auth", CancellationToken.None);
        backend.Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.Contain(_paths.Database).And.Contain(_paths.Mark).And.Contain("older").And.Contain("accept-restore"));
            Assert.That(ex.Acceptable, Is.True);
            Assert.That(unseal, Is.Not.Null, "not even the right key opens a rolled-back store");
            Assert.That(before, Is.GreaterThan(accepted));
            Assert.That(read.Data!["password"], Is.EqualTo("old-password"));
        });
    }

    [Test]
    public async Task Accept_restore_refuses_when_there_is_nothing_to_accept_or_the_problem_is_a_missing_file()
    {
        await StoreWithSecretsAsync("a");
        var agree = Assert.ThrowsAsync<SecretStoreIntegrityException>(() => EmbeddedStoreIntegrity.AcceptRestoreAsync(_paths, CancellationToken.None))!;
        File.Delete(_paths.KeyFile);
        var missing = Assert.ThrowsAsync<SecretStoreIntegrityException>(() => EmbeddedStoreIntegrity.AcceptRestoreAsync(_paths, CancellationToken.None))!;
        Assert.Multiple(() =>
        {
            Assert.That(agree.Message, Does.Contain("nothing to accept").Or.Contain("no restore to accept"));
            Assert.That(missing.Message, Does.Contain(_paths.KeyFile));
        });
    }

    [Test]
    public async Task A_removed_mark_is_refused_because_a_rollback_could_no_longer_be_told()
    {
        await StoreWithSecretsAsync("a");
        File.Delete(_paths.Mark);
        var ex = Refused();
        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.Contain(_paths.Mark).And.Contain("missing").And.Contain("accept-restore"));
            Assert.That(ex.Acceptable, Is.True);
        });
    }

    [Test]
    public async Task A_mark_of_another_installation_is_refused()
    {
        using var other = new TempDirectory("lyndrix-integrity-other");
        (await EmbeddedStores.OpenAsync(other.Path)).Backend.Dispose();
        await StoreWithSecretsAsync("a");
        File.Copy(Path.Combine(other.Path, EmbeddedStorePaths.MarkFileName), _paths.Mark, overwrite: true);
        Assert.That(Refused().Message, Does.Contain("not the store its rollback mark"));
    }

    [Test]
    public async Task A_damaged_mark_is_refused_with_the_way_out()
    {
        await StoreWithSecretsAsync("a");
        await File.WriteAllTextAsync(_paths.Mark, "lyndrix-embedded-mark/1\nabc\nnot-a-number\n");
        Assert.That(Refused().Message, Does.Contain("damaged").And.Contain("accept-restore"));
    }

    [Test]
    public async Task A_store_ahead_of_its_mark_is_current_after_a_crash_between_commit_and_mark()
    {
        await StoreWithSecretsAsync("a", "b");
        var header = EmbeddedStoreDatabase.ReadHeader(_paths.Database);
        await new EmbeddedStoreMark(_paths.Mark).WriteAsync(header.StoreId, header.Sequence - 1, CancellationToken.None);
        Assert.That(EmbeddedStoreIntegrity.Check(_paths), Is.EqualTo(EmbeddedStoreState.Ready));
    }

    [Test]
    public async Task Lyndrix_run_refuses_to_start_in_production_when_the_store_was_deleted()
    {
        var root = _dir.Sub("host");
        var env = SecretTestSettings.HostEnvironment(root, SecretTestSettings.MasterKey);
        var security = EmbeddedStorePaths.In(env["SECURITY_DIR"]);
        var (backend, material) = await EmbeddedStores.OpenAsync(env["SECURITY_DIR"]);
        backend.Dispose();
        await new Lyndrix.Core.Secrets.KeyFile.VaultKeyFile(security.KeyFile, SecretTestSettings.FastArgon)
            .ReplaceAsync(material, SecretTestSettings.MasterKey, CancellationToken.None);
        foreach (var file in Directory.GetFiles(env["SECURITY_DIR"], EmbeddedStorePaths.DatabaseFileName + "*"))
        {
            File.Delete(file);
        }

        var run = await CliRun.RunAsync(root, env, "", "run").WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(1));
            Assert.That(run.Error, Does.Contain(security.KeyFile).And.Contain(security.Database).And.Contain("Restore"));
            Assert.That(File.Exists(security.Database), Is.False, "no empty store was created");
        });
    }
}
