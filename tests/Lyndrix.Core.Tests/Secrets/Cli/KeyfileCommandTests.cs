using Lyndrix.Core.Cli;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Tests.Secrets.KeyFile;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Support;
using static Lyndrix.Core.Tests.Secrets.Support.SecretTestSettings;

namespace Lyndrix.Core.Tests.Secrets.Cli;

public class KeyfileCommandTests
{
    private const string Json = "{\"root_token\": \"hvs.cli-root\", \"unseal_keys\": [\"k1\", \"k2\"]}";

    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory("lyndrix-secrets");

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private static Dictionary<string, string> Env(string? key = MasterKey, string? newKey = null)
    {
        var env = new Dictionary<string, string>
        {
            ["LYNDRIX_ARGON_TIME"] = "1", ["LYNDRIX_ARGON_MEM"] = "64", ["LYNDRIX_ARGON_PARALLEL"] = "1",
        };
        if (key is not null)
        {
            env["LYNDRIX_MASTER_KEY"] = key;
        }

        if (newKey is not null)
        {
            env["LYNDRIX_NEW_MASTER_KEY"] = newKey;
        }

        return env;
    }

    private Task<CliRun> Run(Dictionary<string, string> env, string stdin, params string[] args) => CliRun.RunAsync(_dir.Path, env, stdin, args);

    [Test]
    public async Task Encrypt_from_stdin_then_decrypt_prints_exactly_the_python_layout()
    {
        var encrypt = await Run(Env(), "{ \"unseal_keys\": [\"k1\",\"k2\"], \"root_token\": \"hvs.cli-root\" }\n", "keyfile", "encrypt", "--file", "keys.enc");
        var decrypt = await Run(Env(), "", "keyfile", "decrypt", "--file", "keys.enc");
        Assert.Multiple(() =>
        {
            Assert.That(encrypt.ExitCode, Is.Zero, encrypt.Error);
            Assert.That(FileModes.Of(_dir.File("keys.enc")), Is.EqualTo(FileModes.OwnerOnly));
            Assert.That(decrypt.ExitCode, Is.Zero, decrypt.Error);
            Assert.That(decrypt.Out, Is.EqualTo(Json + Environment.NewLine));
            Assert.That(decrypt.Error, Is.Empty);
        });
    }

    [Test]
    public async Task Decrypt_reads_a_file_the_python_original_wrote()
    {
        await File.WriteAllBytesAsync(_dir.File("vault_keys.enc"), Convert.FromHexString(KnownAnswerVectors.BlobB));
        var env = Env(KnownAnswerVectors.Password);
        env["LYNDRIX_ARGON_TIME"] = "1";
        env["LYNDRIX_ARGON_MEM"] = "1024";
        env["LYNDRIX_ARGON_PARALLEL"] = "2";
        var run = await Run(env, "", "keyfile", "decrypt", "--file", "vault_keys.enc");
        Assert.That(run.Out.TrimEnd(), Is.EqualTo(KnownAnswerVectors.PlaintextB), run.Error);
    }

    [Test]
    public async Task Failures_go_to_stderr_with_a_non_zero_exit_and_nothing_on_stdout()
    {
        await Run(Env(), Json, "keyfile", "encrypt", "--file", "keys.enc");
        var wrong = await Run(Env("a wrong master key"), "", "keyfile", "decrypt", "--file", "keys.enc");
        var missing = await Run(Env(), "", "keyfile", "decrypt", "--file", "nope.enc");
        var noKey = await Run(Env(key: null), "", "keyfile", "decrypt", "--file", "keys.enc");
        var weak = await Run(Env("short"), "", "keyfile", "decrypt", "--file", "keys.enc");
        Assert.Multiple(() =>
        {
            Assert.That((wrong.ExitCode, wrong.Out), Is.EqualTo((1, "")));
            Assert.That(wrong.Error, Does.Contain("incorrect_key_or_tampered_file").And.Not.Contain("a wrong master key"));
            Assert.That((missing.ExitCode, missing.Out), Is.EqualTo((1, "")));
            Assert.That(missing.Error, Does.Contain("key_file_missing").And.Contain("nope.enc"));
            Assert.That(noKey.ExitCode, Is.EqualTo(2));
            Assert.That(noKey.Error, Does.Contain("LYNDRIX_MASTER_KEY is not set"));
            Assert.That((weak.ExitCode, weak.Out), Is.EqualTo((1, "")));
            Assert.That(weak.Error, Does.Contain("weak_key"));
        });
    }

    [Test]
    public async Task Encrypt_refuses_bad_json_and_an_existing_file_unless_forced()
    {
        var bad = await Run(Env(), "{\"root_token\": 1}", "keyfile", "encrypt", "--file", "keys.enc");
        var empty = await Run(Env(), "", "keyfile", "encrypt", "--file", "keys.enc");
        await Run(Env(), Json, "keyfile", "encrypt", "--file", "keys.enc");
        var before = await File.ReadAllBytesAsync(_dir.File("keys.enc"));
        var again = await Run(Env(), "{\"root_token\": \"other\", \"unseal_keys\": []}", "keyfile", "encrypt", "--file", "keys.enc");
        var unchanged = await File.ReadAllBytesAsync(_dir.File("keys.enc"));
        var forced = await Run(Env(), "{\"root_token\": \"other\", \"unseal_keys\": []}", "keyfile", "encrypt", "--file", "keys.enc", "--force");
        var decrypted = await Run(Env(), "", "keyfile", "decrypt", "--file", "keys.enc");
        Assert.Multiple(() =>
        {
            Assert.That(bad.ExitCode, Is.EqualTo(1));
            Assert.That(bad.Error, Does.Contain("key_file_corrupt").And.Contain("stdin"));
            Assert.That(empty.ExitCode, Is.EqualTo(2));
            Assert.That(again.ExitCode, Is.EqualTo(1));
            Assert.That(again.Error, Does.Contain("key_file_exists"));
            Assert.That(unchanged, Is.EqualTo(before));
            Assert.That(forced.ExitCode, Is.Zero);
            Assert.That(decrypted.Out.TrimEnd(), Is.EqualTo("{\"root_token\": \"other\", \"unseal_keys\": []}"));
        });
    }

    [Test]
    public async Task Rekey_moves_the_file_to_the_new_key()
    {
        await Run(Env(), Json, "keyfile", "encrypt", "--file", "keys.enc");
        var rekey = await Run(Env(MasterKey, OtherKey), "", "keyfile", "rekey", "--file", "keys.enc");
        var oldKey = await Run(Env(MasterKey), "", "keyfile", "verify", "--file", "keys.enc");
        var newKey = await Run(Env(OtherKey), "", "keyfile", "verify", "--file", "keys.enc");
        Assert.Multiple(() =>
        {
            Assert.That(rekey.ExitCode, Is.Zero, rekey.Error);
            Assert.That(oldKey.ExitCode, Is.EqualTo(1));
            Assert.That(newKey.ExitCode, Is.Zero);
            Assert.That(newKey.Out, Does.Contain("OK").And.Contain("2 unseal key(s)").And.Not.Contain("hvs.cli-root"));
        });
    }

    [Test]
    public async Task Rekey_that_fails_at_any_point_leaves_the_old_file_as_it_was()
    {
        await Run(Env(), Json, "keyfile", "encrypt", "--file", "keys.enc");
        var before = await File.ReadAllBytesAsync(_dir.File("keys.enc"));
        var crash = await CliRun.RunAsync(new KeyfileCommand(new AtomicFileWriter(_ => throw new IOException("simulated crash before rename"))),
            _dir.Path, Env(MasterKey, OtherKey), "", "rekey", "--file", "keys.enc");
        var weakNew = await Run(Env(MasterKey, "aaaaaaaaaaaaaa"), "", "keyfile", "rekey", "--file", "keys.enc");
        var wrongOld = await Run(Env("the wrong old key", OtherKey), "", "keyfile", "rekey", "--file", "keys.enc");
        var noNew = await Run(Env(MasterKey), "", "keyfile", "rekey", "--file", "keys.enc");
        var stillOld = await Run(Env(MasterKey), "", "keyfile", "decrypt", "--file", "keys.enc");
        Assert.Multiple(() =>
        {
            Assert.That(crash.ExitCode, Is.EqualTo(1));
            Assert.That(crash.Error, Does.Contain("key_file_write_failed").And.Contain("previous file is unchanged"));
            Assert.That(weakNew.ExitCode, Is.EqualTo(1));
            Assert.That(weakNew.Error, Does.Contain("new master key"));
            Assert.That(wrongOld.ExitCode, Is.EqualTo(1));
            Assert.That(noNew.ExitCode, Is.EqualTo(2));
            Assert.That(File.ReadAllBytes(_dir.File("keys.enc")), Is.EqualTo(before));
            Assert.That(stillOld.Out.TrimEnd(), Is.EqualTo(Json));
            Assert.That(Directory.GetFiles(_dir.Path), Has.Length.EqualTo(1), "no temp file left");
        });
    }

    [Test]
    public async Task Help_and_usage_errors()
    {
        var help = await Run(Env(), "", "keyfile", "--help");
        var general = await Run(Env(), "", "--help");
        var noFile = await Run(Env(), "", "keyfile", "decrypt");
        var unknown = await Run(Env(), "", "keyfile", "explode", "--file", "x");
        var none = await Run(Env(), "", "keyfile");
        var badArgon = await Run(new Dictionary<string, string> { ["LYNDRIX_MASTER_KEY"] = MasterKey, ["LYNDRIX_ARGON_MEM"] = "lots" }, "",
            "keyfile", "verify", "--file", "x");
        Assert.Multiple(() =>
        {
            Assert.That(help.ExitCode, Is.Zero);
            Assert.That(help.Out, Does.Contain("decrypt --file PATH").And.Contain("LYNDRIX_NEW_MASTER_KEY").And.Contain("rekey").And.Contain("verify"));
            Assert.That(general.Out, Does.Contain("keyfile").And.Contain("vault"));
            Assert.That(noFile.ExitCode, Is.EqualTo(2));
            Assert.That(noFile.Error, Does.Contain("--file"));
            Assert.That(unknown.ExitCode, Is.EqualTo(2));
            Assert.That(none.ExitCode, Is.EqualTo(2));
            Assert.That(badArgon.ExitCode, Is.EqualTo(2));
            Assert.That(badArgon.Error, Does.Contain("LYNDRIX_ARGON_MEM"));
        });
    }
}
