using Lyndrix.Core.Backup;
using Lyndrix.Core.Tests.Backup.Support;
using Lyndrix.Core.Tests.Support;
using Lyndrix.IntegrationTests.Support;
using Lyndrix.VaultDouble;

namespace Lyndrix.IntegrationTests.Backup;

/// <summary>
/// Backups across backends with a real MariaDB (and the Vault API double): the one-command defaults (embedded store + SQLite)
/// moved to Vault + MariaDB and back, every record and secret compared; a restore whose database server is killed midway
/// leaves the target as it was; and the doctor with the database down.
/// </summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class BackupMigrationTests : IDisposable
{
    private readonly TempDirectory _dir = new("lyndrix-backup-it");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    private string _rootToken = "";

    private async Task<VaultDoubleServer> VaultAsync()
    {
        var vault = await VaultDoubleServer.StartAsync();
        _rootToken = vault.InitializeAndUnseal().RootToken;
        vault.EnableKv("lyndrix");
        return vault;
    }

    private async Task<TestDeployment> ProductionLikeAsync(string parent, string name, MariaDbServer server, VaultDoubleServer vault)
    {
        var database = await server.CreateDatabaseAsync("backup");
        var deployment = TestDeployment.Embedded(parent, name)
            .WithMariaDb(MariaDbServer.Host, server.Port, MariaDbServer.AdminUser, server.AdminPassword, database)
            .WithVault(vault.BaseAddress, _rootToken);
        // Vault opened with a token: no master key, so the archive is sealed with a passphrase.
        deployment.Env.Remove("LYNDRIX_MASTER_KEY");
        deployment.Env["BACKUP_PASS"] = "migration-passphrase-2026";
        return deployment;
    }

    [Test]
    public async Task The_embedded_defaults_move_to_vault_and_mariadb_and_back_with_every_record_and_secret()
    {
        var server = await MariaDbServer.SharedAsync();
        await using var vault = await VaultAsync();
        using var embedded = TestDeployment.Embedded(_dir.Path, "embedded");
        embedded.Env["BACKUP_PASS"] = "migration-passphrase-2026";
        await embedded.SeedAsync(secrets: 30, rows: 120);
        var original = await embedded.StateAsync();

        var first = _dir.File("from-embedded.lbak");
        var created = await embedded.CliAsync(null, "backup", "create", "--out", first, "--passphrase-env", "BACKUP_PASS");
        Assert.That(created.Code, Is.Zero, created.Error);

        using var production = await ProductionLikeAsync(_dir.Path, "production", server, vault);
        var restored = await production.CliAsync(null, "backup", "restore", first, "--passphrase-env", "BACKUP_PASS");
        Assert.That(restored.Code, Is.Zero, restored.Error);
        var moved = await production.StateAsync();
        Assert.That(original.DifferencesFrom(moved, compareTableNames: false), Is.Empty, "embedded + SQLite -> Vault + MariaDB");
        Assert.That(moved.Tables, Is.SupersetOf(original.Tables));

        // A change in production, then back to the one-command defaults.
        await using (var open = await production.OpenAsync(initialize: false))
        {
            await open.Store.WriteAsync("plugins/after-move", new Dictionary<string, string> { ["key"] = "s3cr3t-after-move" }, null, CancellationToken.None);
        }

        var second = _dir.File("from-production.lbak");
        var back = await production.CliAsync(null, "backup", "create", "--out", second, "--passphrase-env", "BACKUP_PASS");
        Assert.That(back.Code, Is.Zero, back.Error);
        var drill = await production.CliAsync(null, "backup", "drill", second, "--passphrase-env", "BACKUP_PASS");
        Assert.That(drill.Code, Is.Zero, drill.Out + drill.Error);

        using var again = TestDeployment.Embedded(_dir.Path, "embedded-again");
        var returned = await again.CliAsync(new Dictionary<string, string> { ["BACKUP_PASS"] = "migration-passphrase-2026" },
            "backup", "restore", second, "--passphrase-env", "BACKUP_PASS");
        Assert.That(returned.Code, Is.Zero, returned.Error);
        var home = await again.StateAsync();
        Assert.That((await production.StateAsync()).DifferencesFrom(home, compareTableNames: false), Is.Empty, "Vault + MariaDB -> embedded + SQLite");
        Assert.That(home.Secrets.Select(s => s.Path), Does.Contain("plugins/after-move"));
        foreach (var run in new[] { created, restored, back, drill, returned })
        {
            Assert.That(run.Out + run.Error, Does.Not.Contain("s3cr3t-"));
        }
    }

    [Test]
    public async Task A_restore_whose_database_server_is_killed_midway_leaves_the_target_unchanged()
    {
        await using var server = await MariaDbServer.StartNewAsync();
        await using var vault = await VaultAsync();
        using var source = TestDeployment.Embedded(_dir.Path, "source");
        await source.SeedAsync(secrets: 20, rows: 60);
        var archive = _dir.File("source.lbak");
        Assert.That((await source.CliAsync(new Dictionary<string, string> { ["BACKUP_PASS"] = "migration-passphrase-2026" },
            "backup", "create", "--out", archive, "--passphrase-env", "BACKUP_PASS")).Code, Is.Zero);

        using var target = await ProductionLikeAsync(_dir.Path, "target", server, vault);
        await target.SeedAsync(tag: "t", secrets: 10, rows: 25);
        var before = await target.StateAsync();

        var contents = await BackupService.OpenAsync(await File.ReadAllBytesAsync(archive), "migration-passphrase-2026", "test", CancellationToken.None);
        BackupException? failure;
        await using (var deployment = await target.OpenAsync(initialize: false))
        {
            var options = new RestoreOptions
            {
                Force = true,
                // The database dies while the secrets are being written: its transaction is lost with it.
                Step = async step =>
                {
                    if (step == "secret:5")
                    {
                        await server.KillAsync();
                    }
                },
            };
            failure = Assert.ThrowsAsync<BackupException>(() => new BackupService(TextWriter.Null, TimeProvider.System)
                .RestoreAsync(deployment, contents, "migration-passphrase-2026", BackupArchiveCodec.PassphraseSource, options, CancellationToken.None));
        }

        Assert.That(failure!.Problem, Is.EqualTo(BackupProblem.Failed), failure.Message);
        Assert.That(failure.Message, Does.Contain("commit").And.Contain("put back as it was"));
        await server.StartAsync();
        Assert.That(before.DifferencesFrom(await target.StateAsync()), Is.Empty);
    }

    [Test]
    public async Task The_doctor_reports_a_database_that_is_down_with_what_to_do_and_exits_2()
    {
        await using var server = await MariaDbServer.StartNewAsync();
        var database = await server.CreateDatabaseAsync("doctor");
        using var deployment = TestDeployment.Embedded(_dir.Path, "doctor")
            .WithMariaDb(MariaDbServer.Host, server.Port, MariaDbServer.AdminUser, server.AdminPassword, database);
        await deployment.SeedAsync(secrets: 1, rows: 1);
        await server.KillAsync();

        var extra = new Dictionary<string, string>
        {
            ["ENV_TYPE"] = "dev", ["PORT"] = "0", ["LYNDRIX_BOOT_STEP_TIMEOUT"] = "5", ["DB_MAX_RETRIES"] = "0", ["DB_RETRY_BASE_DELAY"] = "0.1",
            ["LYNDRIX_ADMIN_PASSWORD"] = "Adm1n-Passw0rd-for-tests", ["LYNDRIX_BOT_PASSWORD"] = "B0t-Passw0rd-for-tests",
        };
        var run = await deployment.CliAsync(extra, "doctor", "--offline", "--wait", "8");
        Assert.Multiple(() =>
        {
            Assert.That(run.Code, Is.EqualTo(2), run.Out + run.Error);
            Assert.That(run.Out, Does.Match(@"(?m)^FAIL\s+database\s+The database \(MariaDB .*\) does not connect"));
            Assert.That(run.Out, Does.Contain("fix: Check that the server runs"));
            Assert.That(run.Out, Does.Match(@"(?m)^OK\s+secret_store\s"));
            Assert.That(run.Out + run.Error, Does.Not.Contain(server.AdminPassword));
        });
    }
}
