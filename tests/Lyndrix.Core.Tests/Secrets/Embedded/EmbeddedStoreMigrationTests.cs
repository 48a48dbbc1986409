using System.Text;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Embedded;
using Lyndrix.Core.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Tests.Secrets.Embedded;

/// <summary>
/// Migration from the format 1 <c>embedded_secrets.json</c>. The fixture was written by the previous host's code (three
/// writes to one secret, a two-field secret, an empty one, non-ASCII and a U+2028 in a value) together with its data key.
/// </summary>
public class EmbeddedStoreMigrationTests
{
    private static readonly string FixtureDir = Path.Combine(TestContext.CurrentContext.TestDirectory, "Secrets", "Embedded", "Fixtures");

    private TempDirectory _dir = null!;
    private EmbeddedStorePaths _paths = null!;
    private KeyMaterial _material = null!;
    private CapturingLoggerProvider _logs = null!;

    [SetUp]
    public async Task SetUp()
    {
        _dir = new TempDirectory("lyndrix-migration");
        _paths = EmbeddedStorePaths.In(_dir.Path);
        File.Copy(Path.Combine(FixtureDir, "v1_embedded_secrets.json"), _paths.LegacyFile);
        await File.WriteAllTextAsync(_paths.KeyFile, "stand-in");
        _material = new KeyMaterial((await File.ReadAllTextAsync(Path.Combine(FixtureDir, "v1_data_key.txt"))).Trim(), []);
        _logs = new CapturingLoggerProvider();
    }

    [TearDown]
    public void TearDown()
    {
        _logs.Dispose();
        _dir.Dispose();
    }

    private EmbeddedSecretBackend NewBackend() => new(_paths, TimeProvider.System, _logs.CreateLogger("migration"));

    private string[] Files() => Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Test]
    public async Task A_v1_file_is_migrated_once_every_secret_reads_the_same_and_the_old_file_is_kept_until_the_next_start()
    {
        var status = await NewBackend().GetStatusAsync(CancellationToken.None);
        using (var backend = NewBackend())
        {
            await backend.UnsealAsync(_material, CancellationToken.None);
            var database = await backend.Store.ReadAsync("core/lyndrix.core.database", CancellationToken.None);
            var hello = await backend.Store.ReadAsync("plugins/lyndrix.sample.hello", CancellationToken.None);
            var empty = await backend.Store.ReadAsync("plugins/empty", CancellationToken.None);
            var next = await backend.Store.WriteAsync("core/lyndrix.core.database", new Dictionary<string, string> { ["db_password"] = "fourth" }, 3,
                CancellationToken.None);
            Assert.Multiple(() =>
            {
                Assert.That(status, Is.EqualTo(new SecretBackendStatus(true, true, EmbeddedSecretBackend.StatusVersion)));
                Assert.That(database.Version, Is.EqualTo(3));
                Assert.That(database.Data!["db_password"], Is.EqualTo("p\u00e4ss \"quoted\" \u2028 \ud83d\udd11"));
                Assert.That(hello.Data, Is.EqualTo(new Dictionary<string, string> { ["api_token"] = "tok-123", ["greeting"] = "hello" }));
                Assert.That(empty.Data, Is.Empty);
                Assert.That(next, Is.EqualTo(4), "the version numbering carries on");
                Assert.That(File.Exists(_paths.LegacyFile), Is.False);
                Assert.That(File.Exists(_paths.LegacyFile + ".migrated"));
                Assert.That(EmbeddedStoreIntegrity.Check(_paths), Is.EqualTo(EmbeddedStoreState.Ready));
                Assert.That(_logs.Entries.Select(e => e.Message).Count(m => m.Contains("migrated 3 secret(s)", StringComparison.Ordinal)), Is.EqualTo(1));
            });
        }

        using (var restarted = NewBackend())
        {
            await restarted.UnsealAsync(_material, CancellationToken.None);
            Assert.Multiple(() =>
            {
                Assert.That(File.Exists(_paths.LegacyFile + ".migrated"), Is.False, "removed at the next successful start");
                Assert.That(_logs.Entries.Select(e => e.Message).Count(m => m.Contains("migrated", StringComparison.Ordinal) && m.Contains("secret(s)", StringComparison.Ordinal)),
                    Is.EqualTo(1), "said once");
            });
        }
    }

    [Test]
    public async Task A_v1_file_that_is_not_valid_JSON_is_refused_and_nothing_changes()
    {
        var damaged = (await File.ReadAllBytesAsync(_paths.LegacyFile))[..200];
        await File.WriteAllBytesAsync(_paths.LegacyFile, damaged);
        await AssertRefusedUnchangedAsync<InvalidDataException>(damaged, "not valid JSON");
    }

    [Test]
    public async Task A_v1_file_with_an_altered_secret_is_refused_and_nothing_changes()
    {
        var text = await File.ReadAllTextAsync(_paths.LegacyFile);
        var altered = Encoding.UTF8.GetBytes(text.Replace("\"vfKhVqIq", "\"vfKhVqIr", StringComparison.Ordinal));
        Assert.That(altered, Is.Not.EqualTo(Encoding.UTF8.GetBytes(text)), "the fixture changed; pick another ciphertext prefix");
        await File.WriteAllBytesAsync(_paths.LegacyFile, altered);
        await AssertRefusedUnchangedAsync<InvalidDataException>(altered, "plugins/lyndrix.sample.hello");
    }

    [Test]
    public async Task A_v1_file_of_another_installation_is_refused_and_nothing_changes()
    {
        _material = new KeyMaterial(Convert.ToBase64String(new byte[32]), []);
        await AssertRefusedUnchangedAsync<SecretBackendUnsealRejectedException>(await File.ReadAllBytesAsync(_paths.LegacyFile), "different installations");
    }

    [Test]
    public async Task A_migration_interrupted_after_the_rename_is_finished_by_the_next_start()
    {
        using (var backend = NewBackend())
        {
            await backend.UnsealAsync(_material, CancellationToken.None);
        }

        // As if the process died between renaming the database into place and renaming the old file.
        File.Move(_paths.LegacyFile + ".migrated", _paths.LegacyFile);
        Assert.That(EmbeddedStoreIntegrity.Check(_paths), Is.EqualTo(EmbeddedStoreState.Ready));
        using var again = NewBackend();
        await again.UnsealAsync(_material, CancellationToken.None);
        Assert.Multiple(async () =>
        {
            Assert.That(File.Exists(_paths.LegacyFile), Is.False);
            Assert.That(File.Exists(_paths.LegacyFile + ".migrated"));
            Assert.That((await again.Store.ReadAsync("plugins/empty", CancellationToken.None)).State, Is.EqualTo(KvReadState.Found));
        });
    }

    [Test]
    public async Task A_v1_file_beside_a_store_it_was_not_migrated_into_is_refused()
    {
        using (var backend = NewBackend())
        {
            await backend.UnsealAsync(_material, CancellationToken.None);
        }

        var other = (await File.ReadAllTextAsync(_paths.LegacyFile + ".migrated")).Replace("\"version\": 1", "\"version\": 2", StringComparison.Ordinal);
        await File.WriteAllTextAsync(_paths.LegacyFile, other);
        var ex = Assert.Throws<SecretStoreIntegrityException>(() => EmbeddedStoreIntegrity.Check(_paths))!;
        Assert.That(ex.Message, Does.Contain(_paths.LegacyFile).And.Contain(_paths.Database));
    }

    [Test]
    public void A_v1_file_without_its_key_file_is_refused()
    {
        File.Delete(_paths.KeyFile);
        var ex = Assert.Throws<SecretStoreIntegrityException>(() => EmbeddedStoreIntegrity.Check(_paths))!;
        Assert.That(ex.Message, Does.Contain(_paths.LegacyFile).And.Contain(_paths.KeyFile));
    }

    private async Task AssertRefusedUnchangedAsync<TException>(byte[] expectedLegacy, string messagePart)
        where TException : Exception
    {
        var before = Files();
        var backend = NewBackend();
        var ex = Assert.ThrowsAsync<TException>(() => backend.UnsealAsync(_material, CancellationToken.None))!;
        Assert.Multiple(async () =>
        {
            Assert.That(ex.Message, Does.Contain(messagePart));
            Assert.That(ex.Message, Does.Contain("Nothing was").Or.Contain("nothing was"));
            Assert.That(Files(), Is.EqualTo(before), "no database, no mark, no temp file");
            Assert.That(await File.ReadAllBytesAsync(_paths.LegacyFile), Is.EqualTo(expectedLegacy));
            Assert.ThrowsAsync<SecretBackendSealedException>(() => backend.Store.ReadAsync("plugins/empty", CancellationToken.None));
        });
    }
}
