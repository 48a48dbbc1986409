using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Lyndrix.Core.Backup;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Tests.Backup.Support;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Core.Tests.Backup;

/// <summary><c>lyndrix backup</c> on the embedded defaults (embedded store + SQLite): round trip, verify, drill, and each bad
/// input with its own exit code, losing nothing.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class BackupCommandTests : IDisposable
{
    private const string Passphrase = "a-backup-passphrase-2026";
    private static readonly Dictionary<string, string> WithPassphrase = new() { ["BACKUP_PASS"] = Passphrase };

    private readonly TempDirectory _dir = new("lyndrix-backup");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private string Archive => _dir.File("deployment.lbak");

    private async Task<TestDeployment> SeededSourceAsync()
    {
        var source = TestDeployment.Embedded(_dir.Path, "source");
        await source.SeedAsync();
        return source;
    }

    private static void AssertNoSecretIn(string text)
    {
        Assert.That(text, Does.Not.Contain("s3cr3t-"), "a secret value reached the output");
        Assert.That(text, Does.Not.Contain(TestDeployment.MasterKey));
        Assert.That(text, Does.Not.Contain(Passphrase));
    }

    [Test]
    public async Task A_backup_restored_into_an_empty_deployment_holds_every_row_and_secret_and_verify_and_drill_agree()
    {
        using var source = await SeededSourceAsync();
        var created = await source.CliAsync(null, "backup", "create", "--out", Archive);
        Assert.That(created.Code, Is.Zero, created.Error);
        Assert.That(created.Error, Does.Contain("[1/4] database").And.Contain("[4/4] sealed"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.That(File.GetUnixFileMode(Archive), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite), "the archive is owner-only");
        }

        var verified = await source.CliAsync(null, "backup", "verify", Archive);
        Assert.That(verified.Code, Is.Zero, verified.Error);
        Assert.That(verified.Out, Does.Contain("intact").And.Contain("secrets.json").And.Contain("vault_keys.enc"));

        using var target = TestDeployment.Embedded(_dir.Path, "target");
        var restored = await target.CliAsync(null, "backup", "restore", Archive);
        Assert.That(restored.Code, Is.Zero, restored.Error);

        var expected = await source.StateAsync();
        var actual = await target.StateAsync();
        Assert.That(expected.DifferencesFrom(actual), Is.Empty);
        Assert.That(actual.Secrets, Has.Count.EqualTo(12));
        Assert.That(actual.Secrets.Single(s => s.Path == "plugins/a.plugin0").MaxVersions, Is.EqualTo(3));

        var drill = await source.CliAsync(null, "backup", "drill", Archive);
        Assert.That(drill.Code, Is.Zero, drill.Out + drill.Error);
        Assert.That(drill.Out, Does.Contain("Drill passed").And.Contain("12 secret(s)"));
        foreach (var run in new[] { created, verified, restored, drill })
        {
            AssertNoSecretIn(run.Out + run.Error);
        }
    }

    [Test]
    public async Task A_backup_taken_while_the_host_runs_holds_what_the_host_wrote()
    {
        var source = TestDeployment.Embedded(_dir.Path, "running");
        var env = new Dictionary<string, string>(source.Env)
        {
            ["PORT"] = "0", ["LYNDRIX_BOOT_STEP_TIMEOUT"] = "30",
            ["LYNDRIX_ADMIN_PASSWORD"] = Lyndrix.Core.Tests.Secrets.Support.SecretTestSettings.AdminPassword, ["LYNDRIX_BOT_PASSWORD"] = "Backup-Test-B0t-Pw-19ae",
        };
        await using (var host = await Lyndrix.Core.Tests.Secrets.Support.HostHarness.StartAsync(env))
        {
            await host.Get<Lyndrix.Core.Events.EventBus>().WaitForAsync(Lyndrix.Sdk.Events.CoreTopics.SystemBootComplete, CancellationToken.None)
                .WaitAsync(TimeSpan.FromSeconds(60));
            var token = await host.AdminTokenAsync();
            Assert.That(token, Is.Not.Empty);
            var created = await source.CliAsync(null, "backup", "create", "--out", Archive);
            Assert.That(created.Code, Is.Zero, created.Error);
            AssertNoSecretIn(created.Out + created.Error);
            Assert.That(created.Out + created.Error, Does.Not.Contain(Lyndrix.Core.Tests.Secrets.Support.SecretTestSettings.AdminPassword));
        }

        using var target = TestDeployment.Embedded(_dir.Path, "target");
        var restored = await target.CliAsync(null, "backup", "restore", Archive);
        Assert.That(restored.Code, Is.Zero, restored.Error);
        var state = await target.StateAsync();
        var database = System.Text.Encoding.UTF8.GetString(state.Database);
        Assert.Multiple(() =>
        {
            Assert.That(database, Does.Contain("\u0022admin\u0022").Or.Contain("\"admin\""), "the bootstrap administrator");
            Assert.That(state.Tables, Does.Contain("sessions").And.Contain("audit_log"));
            Assert.That(state.Secrets.Select(s => s.Path), Does.Contain("core/audit-chain"), "the audit trail's key moves with its records");
        });
    }

    [Test]
    public async Task The_comparison_used_by_these_tests_and_the_drill_sees_a_changed_secret_and_a_removed_row()
    {
        using var deployment = await SeededSourceAsync();
        var before = await deployment.StateAsync();
        await using (var open = await deployment.OpenAsync(initialize: false))
        {
            await open.Store.WriteAsync("plugins/a.plugin3", new Dictionary<string, string> { ["key"] = "changed" }, null, CancellationToken.None);
            var connection = await open.Database.OpenAsync(CancellationToken.None);
            await using (connection)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = $"DELETE FROM `{TestDeployment.PluginTable}` WHERE `id` = 7";
                await command.ExecuteNonQueryAsync();
            }
        }

        var differences = before.DifferencesFrom(await deployment.StateAsync());
        Assert.That(differences, Has.Some.Contains("secret plugins/a.plugin3 differs"));
        Assert.That(differences, Has.Some.Contains($"table {TestDeployment.PluginTable}: 40 row(s) in the backup, 39 restored"));
    }

    [Test]
    public async Task The_archive_is_encrypted_and_a_wrong_passphrase_exits_3_and_names_the_option()
    {
        using var source = await SeededSourceAsync();
        Assert.That((await source.CliAsync(WithPassphrase, "backup", "create", "--out", Archive, "--passphrase-env", "BACKUP_PASS")).Code, Is.Zero);
        var bytes = await File.ReadAllBytesAsync(Archive);
        Assert.That(Encoding.UTF8.GetString(bytes), Does.Not.Contain("s3cr3t-").And.Not.Contain("a-user1").And.Not.Contain("argon2id$"));

        var wrong = await source.CliAsync(new Dictionary<string, string> { ["BACKUP_PASS"] = "not-the-passphrase-at-all" },
            "backup", "verify", Archive, "--passphrase-env", "BACKUP_PASS");
        Assert.That(wrong.Code, Is.EqualTo(3), wrong.Error);
        Assert.That(wrong.Error, Does.Contain("passphrase does not open").And.Contain("--passphrase-env"));

        // Without --passphrase-env the master key is tried, and refused the same way.
        var masterKey = await source.CliAsync(null, "backup", "verify", Archive);
        Assert.That(masterKey.Code, Is.EqualTo(3), masterKey.Error);
        AssertNoSecretIn(wrong.Error + masterKey.Error);
    }

    [Test]
    public async Task A_truncated_an_altered_and_a_foreign_file_each_exit_4_and_a_restore_from_them_changes_nothing()
    {
        using var source = await SeededSourceAsync();
        Assert.That((await source.CliAsync(null, "backup", "create", "--out", Archive)).Code, Is.Zero);
        var bytes = await File.ReadAllBytesAsync(Archive);

        var truncated = _dir.File("truncated.lbak");
        await File.WriteAllBytesAsync(truncated, bytes[..(bytes.Length - 40)]);
        var altered = _dir.File("altered.lbak");
        var copy = bytes.ToArray();
        copy[^30] ^= 0x01;
        await File.WriteAllBytesAsync(altered, copy);
        var foreign = _dir.File("foreign.lbak");
        await File.WriteAllTextAsync(foreign, "just some text, not a backup");

        using var target = TestDeployment.Embedded(_dir.Path, "target");
        await target.SeedAsync(tag: "t", secrets: 4, rows: 3);
        var before = await target.StateAsync();
        foreach (var (file, words) in new[] { (truncated, "truncated"), (altered, "was altered"), (foreign, "not a Lyndrix backup") })
        {
            var verify = await target.CliAsync(null, "backup", "verify", file);
            Assert.That(verify.Code, Is.EqualTo(4), $"{file}: {verify.Error}");
            Assert.That(verify.Error, Does.Contain(words));
            var restore = await target.CliAsync(null, "backup", "restore", file, "--force");
            Assert.That(restore.Code, Is.EqualTo(4), restore.Error);
        }

        Assert.That(before.DifferencesFrom(await target.StateAsync()), Is.Empty);
    }

    [Test]
    public async Task A_backup_from_a_newer_format_or_schema_exits_5()
    {
        using var source = await SeededSourceAsync();
        Assert.That((await source.CliAsync(null, "backup", "create", "--out", Archive)).Code, Is.Zero);

        // A newer envelope: the header says format 2 (nothing else can be read before the key is known).
        var bytes = await File.ReadAllBytesAsync(Archive);
        var headerLength = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(15));
        var header = Encoding.UTF8.GetString(bytes, 19, headerLength).Replace("\"format\":1", "\"format\":2", StringComparison.Ordinal);
        var newer = _dir.File("newer-format.lbak");
        var headerBytes = Encoding.UTF8.GetBytes(header);
        var lengthBytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(lengthBytes, headerBytes.Length);
        await File.WriteAllBytesAsync(newer, [.. bytes[..15], .. lengthBytes, .. headerBytes, .. bytes[(19 + headerLength)..]]);
        var format = await source.CliAsync(null, "backup", "verify", newer);
        Assert.That(format.Code, Is.EqualTo(5), format.Error);
        Assert.That(format.Error, Does.Contain("newer Lyndrix"));

        // A newer schema: a well-formed archive whose manifest records a core migration this build does not know.
        var contents = await BackupService.OpenAsync(bytes, TestDeployment.MasterKey, "test", CancellationToken.None);
        var future = new BackupContents(contents.Manifest with { CoreSchemaVersion = BackupService.CoreSchemaVersion + 1 }, contents.Parts);
        var schema = _dir.File("newer-schema.lbak");
        await File.WriteAllBytesAsync(schema, BackupArchiveCodec.Encrypt(future.Pack(), TestDeployment.MasterKey, BackupArchiveCodec.MasterKeySource,
            new Argon2Parameters(1, 64, 1), DateTimeOffset.UtcNow));
        using var target = TestDeployment.Embedded(_dir.Path, "target");
        var restore = await target.CliAsync(null, "backup", "restore", schema);
        Assert.That(restore.Code, Is.EqualTo(5), restore.Error);
        Assert.That(restore.Error, Does.Contain($"schema #{BackupService.CoreSchemaVersion + 1}"));
    }

    [Test]
    public async Task A_populated_target_is_refused_without_force_and_with_force_is_replaced_after_a_safety_copy()
    {
        using var source = await SeededSourceAsync();
        Assert.That((await source.CliAsync(null, "backup", "create", "--out", Archive)).Code, Is.Zero);
        using var target = TestDeployment.Embedded(_dir.Path, "target");
        await target.SeedAsync(tag: "t", secrets: 5, rows: 7);
        var before = await target.StateAsync();

        var refused = await target.CliAsync(null, "backup", "restore", Archive);
        Assert.That(refused.Code, Is.EqualTo(6), refused.Error);
        Assert.That(refused.Error, Does.Contain("not empty").And.Contain("5 secret(s)").And.Contain("--force"));
        Assert.That(before.DifferencesFrom(await target.StateAsync()), Is.Empty);

        var forced = await target.CliAsync(null, "backup", "restore", Archive, "--force");
        Assert.That(forced.Code, Is.Zero, forced.Error);
        Assert.That((await source.StateAsync()).DifferencesFrom(await target.StateAsync()), Is.Empty);
        var safety = Directory.GetFiles(Path.Combine(target.Root, "storage", "backups"), "pre-restore-*.lbak").Single();
        Assert.That(forced.Out, Does.Contain(safety));

        // The safety copy brings the previous state back.
        var back = await target.CliAsync(null, "backup", "restore", safety, "--force");
        Assert.That(back.Code, Is.Zero, back.Error);
        Assert.That(before.DifferencesFrom(await target.StateAsync()), Is.Empty);
    }

    [Test]
    public async Task An_unreachable_database_exits_7_without_writing_an_archive()
    {
        using var source = await SeededSourceAsync();
        var down = new Dictionary<string, string> { ["DB_HOST"] = "127.0.0.1", ["DB_PORT"] = "9", ["DB_PASSWORD"] = "db-pass-never-shown", ["DB_CONNECT_TIMEOUT"] = "2" };
        var run = await source.CliAsync(down, "backup", "create", "--out", Archive);
        Assert.That(run.Code, Is.EqualTo(7), run.Error);
        Assert.That(run.Error, Does.Contain("cannot be reached").And.Not.Contain("db-pass-never-shown"));
        Assert.That(File.Exists(Archive), Is.False);
    }

    [Test]
    public async Task Usage_errors_exit_2_an_existing_out_file_is_never_overwritten_and_a_weak_passphrase_is_refused()
    {
        using var source = await SeededSourceAsync();
        await File.WriteAllTextAsync(Archive, "keep me");
        var exists = await source.CliAsync(null, "backup", "create", "--out", Archive);
        Assert.That(exists.Code, Is.EqualTo(2));
        Assert.That(await File.ReadAllTextAsync(Archive), Is.EqualTo("keep me"));
        var weak = await source.CliAsync(new Dictionary<string, string> { ["P"] = "short" }, "backup", "create", "--out", _dir.File("x.lbak"), "--passphrase-env", "P");
        Assert.That(weak.Code, Is.EqualTo(2));
        Assert.That(weak.Error, Does.Contain("backup passphrase is too short"));
        Assert.That((await source.CliAsync(null, "backup", "explode")).Code, Is.EqualTo(2));
        var help = await source.CliAsync(null, "backup", "--help");
        Assert.That(help.Out, Does.Contain("Exit codes"));
    }

    [Test]
    public async Task Verify_json_reports_the_manifest_and_a_mistyped_or_unset_option_exits_2_before_anything_runs()
    {
        using var source = await SeededSourceAsync();
        Assert.That((await source.CliAsync(null, "backup", "create", "--out", Archive)).Code, Is.Zero);
        var json = await source.CliAsync(null, "backup", "verify", Archive, "--json");
        Assert.That(json.Code, Is.Zero, json.Error);
        using (var document = JsonDocument.Parse(json.Out))
        {
            var manifest = document.RootElement.GetProperty("manifest");
            Assert.That(document.RootElement.GetProperty("status").GetString(), Is.EqualTo("intact"));
            Assert.That(manifest.GetProperty("secrets").GetInt32(), Is.EqualTo(12));
            Assert.That(manifest.GetProperty("parts").EnumerateArray().Select(p => p.GetProperty("name").GetString()), Does.Contain("vault_keys.enc"));
        }

        using var target = TestDeployment.Embedded(_dir.Path, "target");
        var typo = await target.CliAsync(null, "backup", "restore", Archive, "--keyfile-our", _dir.File("keys.enc"));
        Assert.That(typo.Code, Is.EqualTo(2), typo.Error);
        Assert.That(typo.Error, Does.Contain("'backup restore' has no option --keyfile-our").And.Contain("--keyfile-out"));
        var flagElsewhere = await source.CliAsync(null, "backup", "drill", Archive, "--force");
        Assert.That(flagElsewhere.Code, Is.EqualTo(2), flagElsewhere.Error);
        var unset = await target.CliAsync(null, "backup", "restore", Archive, "--passphrase-env", "NO_SUCH_BACKUP_PASS");
        Assert.That(unset.Code, Is.EqualTo(2), unset.Error);
        Assert.That(unset.Error, Does.Contain("NO_SUCH_BACKUP_PASS, which is not set"));
        Assert.That(Directory.Exists(Path.Combine(target.Root, "security")), Is.False, "no refused restore touched the target");
    }

    [Test]
    public async Task Keyfile_out_writes_the_archived_key_file_owner_only_never_over_a_file_and_never_from_a_backup_without_one()
    {
        using var source = await SeededSourceAsync();
        Assert.That((await source.CliAsync(null, "backup", "create", "--out", Archive)).Code, Is.Zero);
        var sourceKeyFile = await File.ReadAllBytesAsync(Path.Combine(source.Root, "security", VaultKeyFile.FileName));

        using var target = TestDeployment.Embedded(_dir.Path, "target");
        var keyOut = _dir.File("archived-vault_keys.enc");
        var restored = await target.CliAsync(null, "backup", "restore", Archive, "--keyfile-out", keyOut);
        Assert.That(restored.Code, Is.Zero, restored.Error);
        Assert.Multiple(async () =>
        {
            Assert.That(await File.ReadAllBytesAsync(keyOut), Is.EqualTo(sourceKeyFile), "the archived key file, byte for byte");
            Assert.That(await File.ReadAllBytesAsync(Path.Combine(target.Root, "security", VaultKeyFile.FileName)), Is.Not.EqualTo(sourceKeyFile),
                "the target keeps its own key file, which opens its own store");
            Assert.That(restored.Out, Does.Contain(keyOut));
            if (!OperatingSystem.IsWindows())
            {
                Assert.That(File.GetUnixFileMode(keyOut), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            }
        });

        // An existing file is never overwritten, and the target is not touched.
        using var second = TestDeployment.Embedded(_dir.Path, "second");
        var existing = _dir.File("existing.enc");
        await File.WriteAllTextAsync(existing, "keep me");
        var refused = await second.CliAsync(null, "backup", "restore", Archive, "--keyfile-out", existing);
        Assert.That(refused.Code, Is.EqualTo(2), refused.Error);
        Assert.That(refused.Error, Does.Contain("never overwrites"));
        Assert.That(await File.ReadAllTextAsync(existing), Is.EqualTo("keep me"));
        Assert.That(Directory.Exists(Path.Combine(second.Root, "security")), Is.False);

        // A backup whose source opened Vault with a token holds no key file: refused before anything changes.
        var contents = await BackupService.OpenAsync(await File.ReadAllBytesAsync(Archive), TestDeployment.MasterKey, "test", CancellationToken.None);
        var parts = contents.Parts.Where(p => p.Key != BackupManifest.KeyFilePart).ToDictionary(p => p.Key, p => p.Value);
        var withoutKey = new BackupContents(contents.Manifest with { Parts = contents.Manifest.Parts.Where(p => p.Name != BackupManifest.KeyFilePart).ToList() }, parts);
        var tokenBackup = _dir.File("token-source.lbak");
        await File.WriteAllBytesAsync(tokenBackup, BackupArchiveCodec.Encrypt(withoutKey.Pack(), TestDeployment.MasterKey, BackupArchiveCodec.MasterKeySource,
            new Argon2Parameters(1, 64, 1), DateTimeOffset.UtcNow));
        using var third = TestDeployment.Embedded(_dir.Path, "third");
        await third.SeedAsync(tag: "t", secrets: 2, rows: 3);
        var before = await third.StateAsync();
        var nothing = _dir.File("nothing.enc");
        var noKey = await third.CliAsync(null, "backup", "restore", tokenBackup, "--force", "--keyfile-out", nothing);
        Assert.That(noKey.Code, Is.EqualTo(1), noKey.Error);
        Assert.That(noKey.Error, Does.Contain("holds no vault_keys.enc").And.Contain("Nothing was changed"));
        Assert.That(File.Exists(nothing), Is.False);
        Assert.That(before.DifferencesFrom(await third.StateAsync()), Is.Empty);
    }

    [TestCase("table:users")]
    [TestCase("secret:3")]
    [TestCase("commit")]
    public async Task A_restore_failing_midway_leaves_an_empty_target_exactly_as_it_was(string failAt)
    {
        using var source = await SeededSourceAsync();
        Assert.That((await source.CliAsync(null, "backup", "create", "--out", Archive)).Code, Is.Zero);
        using var target = TestDeployment.Embedded(_dir.Path, "target");
        await using (var opened = await target.OpenAsync())
        {
            // An empty but initialized deployment: the store exists, the database has no tables.
        }

        var before = await target.StateAsync();
        var error = await RestoreWithFaultAsync(target, failAt, force: false);
        Assert.That(error.Problem, Is.EqualTo(BackupProblem.Failed), error.Message);
        Assert.That(error.Message, Does.Contain("put back as it was"));
        Assert.That(before.DifferencesFrom(await target.StateAsync()), Is.Empty);
        Assert.That((await target.StateAsync()).Tables, Is.Empty);
    }

    [TestCase("table:acme_notes")]
    [TestCase("secret:0")]
    [TestCase("secret:7")]
    [TestCase("commit")]
    public async Task A_restore_failing_midway_over_a_populated_target_puts_every_row_and_secret_back(string failAt)
    {
        using var source = await SeededSourceAsync();
        Assert.That((await source.CliAsync(null, "backup", "create", "--out", Archive)).Code, Is.Zero);
        using var target = TestDeployment.Embedded(_dir.Path, "target");
        await target.SeedAsync(tag: "t", secrets: 9, rows: 11);
        var before = await target.StateAsync();

        var error = await RestoreWithFaultAsync(target, failAt, force: true);
        Assert.That(error.Problem, Is.EqualTo(BackupProblem.Failed), error.Message);
        Assert.That(before.DifferencesFrom(await target.StateAsync()), Is.Empty);
        Assert.That(error.Message, Does.Not.Contain("s3cr3t-"));
    }

    private async Task<BackupException> RestoreWithFaultAsync(TestDeployment target, string failAt, bool force)
    {
        var contents = await BackupService.OpenAsync(await File.ReadAllBytesAsync(Archive), TestDeployment.MasterKey, "test", CancellationToken.None);
        await using var deployment = await target.OpenAsync();
        var service = new BackupService(TextWriter.Null, TimeProvider.System);
        var options = new RestoreOptions
        {
            Force = force,
            Step = step => step == failAt ? throw new IOException($"injected failure at {step}") : Task.CompletedTask,
        };
        return Assert.ThrowsAsync<BackupException>(() =>
            service.RestoreAsync(deployment, contents, TestDeployment.MasterKey, BackupArchiveCodec.MasterKeySource, options, CancellationToken.None))!;
    }
}
