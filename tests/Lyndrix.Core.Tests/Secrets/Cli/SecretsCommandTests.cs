using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Embedded;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Tests.Secrets.Embedded;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Support;
using static Lyndrix.Core.Tests.Secrets.Support.SecretTestSettings;

namespace Lyndrix.Core.Tests.Secrets.Cli;

/// <summary><c>lyndrix secrets versions|rollback|accept-restore</c> on a real embedded store with a real key file.</summary>
public class SecretsCommandTests
{
    private TempDirectory _dir = null!;
    private string _security = null!;
    private EmbeddedSecretBackend _host = null!;

    [SetUp]
    public async Task SetUp()
    {
        _dir = new TempDirectory("lyndrix-secrets-cli");
        _security = _dir.Sub("security");
        KeyMaterial material;
        (_host, material) = await EmbeddedStores.OpenAsync(_security);
        await new VaultKeyFile(_host.Paths.KeyFile, FastArgon).ReplaceAsync(material, MasterKey, CancellationToken.None);
        foreach (var value in new[] { "first", "second", "third" })
        {
            await _host.Store.WriteAsync("plugins/demo", new Dictionary<string, string> { ["token"] = value }, null, CancellationToken.None);
        }
    }

    [TearDown]
    public void TearDown()
    {
        _host.Dispose();
        _dir.Dispose();
    }

    private Dictionary<string, string> Env(string? key = MasterKey)
    {
        var env = new Dictionary<string, string>
        {
            ["ENV_TYPE"] = "production",
            ["SECURITY_DIR"] = _security,
            ["LYNDRIX_ARGON_TIME"] = "1", ["LYNDRIX_ARGON_MEM"] = "64", ["LYNDRIX_ARGON_PARALLEL"] = "1",
        };
        if (key is not null)
        {
            env["LYNDRIX_MASTER_KEY"] = key;
        }

        return env;
    }

    private Task<CliRun> Run(Dictionary<string, string> env, params string[] args) => CliRun.RunAsync(_dir.Path, env, "", ["secrets", .. args]);

    [Test]
    public async Task Versions_lists_every_kept_version_with_its_state_and_prints_no_value()
    {
        await _host.History.DeleteVersionsAsync("plugins/demo", [2], CancellationToken.None);
        var run = await Run(Env(), "versions", "plugins/demo");
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.Error);
            Assert.That(run.Out, Does.Contain("current version 3"));
            Assert.That(run.Out, Does.Match(@"3\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+current"));
            Assert.That(run.Out, Does.Match(@"2\s+\S+ \S+\s+deleted "));
            Assert.That(run.Out, Does.Match(@"1\s+\S+ \S+\s+kept"));
            Assert.That(run.Out + run.Error, Does.Not.Contain("first").And.Not.Contain("third"));
        });
    }

    [Test]
    public async Task Rollback_writes_the_old_data_as_a_new_version_while_the_host_keeps_its_store_open()
    {
        var run = await Run(Env(), "rollback", "plugins/demo", "--version", "1");
        var read = await _host.Store.ReadAsync("plugins/demo", CancellationToken.None);
        var meta = await _host.History.ReadMetadataAsync("plugins/demo", CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(0), run.Error);
            Assert.That(run.Out, Does.Contain("version 1 restored as version 4"));
            Assert.That((read.Version, read.Data!["token"]), Is.EqualTo((4, "first")), "the running host reads the rollback at once");
            Assert.That(meta!.Versions.Select(v => v.Version), Is.EqualTo(new[] { 1, 2, 3, 4 }), "nothing is lost by a rollback");
        });
    }

    [TestCase("delete", "deleted")]
    [TestCase("destroy", "destroyed")]
    [TestCase("none", "no such version")]
    public async Task Rollback_to_a_version_that_cannot_be_read_is_refused_and_writes_nothing(string what, string reason)
    {
        if (what == "delete")
        {
            await _host.History.DeleteVersionsAsync("plugins/demo", [1], CancellationToken.None);
        }
        else if (what == "destroy")
        {
            await _host.History.DestroyVersionsAsync("plugins/demo", [1], CancellationToken.None);
        }

        var run = await Run(Env(), "rollback", "plugins/demo", "--version", what == "none" ? "9" : "1");
        Assert.Multiple(async () =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(1));
            Assert.That(run.Error, Does.Contain(reason));
            Assert.That((await _host.Store.ReadAsync("plugins/demo", CancellationToken.None)).Version, Is.EqualTo(3));
        });
    }

    [TestCase(new[] { "versions" }, "exactly one PATH")]
    [TestCase(new[] { "rollback", "plugins/demo" }, "--version")]
    [TestCase(new[] { "rollback", "plugins/demo", "--version", "zero" }, "version number")]
    [TestCase(new[] { "versions", "../etc" }, "not a valid secret path")]
    [TestCase(new[] { "forget", "x" }, "Unknown sub-command")]
    public async Task Bad_usage_is_exit_2_with_the_reason(string[] args, string reason)
    {
        var run = await Run(Env(), args);
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(2));
            Assert.That(run.Error, Does.Contain(reason));
        });
    }

    [Test]
    public async Task A_wrong_master_key_is_refused_without_touching_the_store()
    {
        var run = await Run(Env(OtherKey), "rollback", "plugins/demo", "--version", "1");
        Assert.Multiple(async () =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(1));
            Assert.That(run.Error, Does.Contain("failed"));
            Assert.That((await _host.Store.ReadAsync("plugins/demo", CancellationToken.None)).Version, Is.EqualTo(3));
        });
    }

    [Test]
    public async Task Without_a_master_key_versions_says_how_to_give_one()
    {
        var run = await Run(Env(key: null), "versions", "plugins/demo");
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(2));
            Assert.That(run.Error, Does.Contain("LYNDRIX_MASTER_KEY"));
        });
    }

    [Test]
    public async Task Accept_restore_makes_a_deliberately_restored_store_start_again()
    {
        _host.Dispose();
        var old = _dir.File("old.db");
        File.Copy(_host.Paths.Database, old);
        using (var again = await EmbeddedStores.ReopenAsync(_security, new KeyMaterial(
                   (await new VaultKeyFile(_host.Paths.KeyFile, FastArgon).ReadAsync(MasterKey, CancellationToken.None)).RootToken, [])))
        {
            await again.Store.WriteAsync("plugins/demo", new Dictionary<string, string> { ["token"] = "after backup" }, null, CancellationToken.None);
        }

        File.Copy(old, _host.Paths.Database, overwrite: true);
        var refused = await Run(Env(), "versions", "plugins/demo");
        var accepted = await Run(Env(key: null), "accept-restore");
        var again2 = await Run(Env(key: null), "accept-restore");
        var versions = await Run(Env(), "versions", "plugins/demo");
        Assert.Multiple(() =>
        {
            Assert.That(refused.ExitCode, Is.EqualTo(1));
            Assert.That(refused.Error, Does.Contain("older").And.Contain("accept-restore"));
            Assert.That(accepted.ExitCode, Is.EqualTo(0), accepted.Error);
            Assert.That(accepted.Out, Does.Contain("Accepted").And.Contain(_host.Paths.Database));
            Assert.That(again2.ExitCode, Is.EqualTo(1), "nothing left to accept");
            Assert.That(versions.Out, Does.Contain("current version 3"));
        });
    }

    [Test]
    public async Task With_VAULT_URL_it_points_at_the_vault_cli()
    {
        var env = Env();
        env["VAULT_URL"] = "https://vault.example:8200";
        var run = await Run(env, "versions", "plugins/demo");
        Assert.Multiple(() =>
        {
            Assert.That(run.ExitCode, Is.EqualTo(2));
            Assert.That(run.Error, Does.Contain("vault kv rollback"));
        });
    }
}
