using System.Text;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Support;
using static Lyndrix.Core.Tests.Secrets.Support.SecretTestSettings;

namespace Lyndrix.Core.Tests.Secrets.KeyFile;

public class VaultKeyFileTests
{
    private static readonly KeyMaterial Material = new("hvs.root-token-value", ["unseal-key-one", "unseal-key-two"]);

    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory("lyndrix-secrets");

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private VaultKeyFile File(AtomicFileWriter? writer = null, string name = "vault_keys.enc") => new(_dir.File(name), FastArgon, writer);

    [Test]
    public async Task Written_file_round_trips_and_is_owner_only()
    {
        var file = File();
        await file.CreateAsync(Material, MasterKey, CancellationToken.None);
        var read = await file.ReadAsync(MasterKey, CancellationToken.None);
        Assert.Multiple(() =>
        {
            Assert.That(read.RootToken, Is.EqualTo(Material.RootToken));
            Assert.That(read.UnsealKeys, Is.EqualTo(Material.UnsealKeys));
            Assert.That(FileModes.Of(file.Path), Is.EqualTo(FileModes.OwnerOnly));
            Assert.That(Directory.GetFiles(_dir.Path), Has.Length.EqualTo(1), "no temp file left behind");
        });
    }

    [Test]
    public async Task A_new_security_folder_is_created_owner_only()
    {
        var file = new VaultKeyFile(Path.Combine(_dir.Path, "security", "vault_keys.enc"), FastArgon);
        await file.CreateAsync(Material, MasterKey, CancellationToken.None);
        Assert.That(FileModes.Of(Path.Combine(_dir.Path, "security")), Is.EqualTo(FileModes.OwnerOnlyFolder));
    }

    [Test]
    public async Task Create_never_overwrites_an_existing_key_file()
    {
        var file = File();
        await file.CreateAsync(Material, MasterKey, CancellationToken.None);
        var before = await System.IO.File.ReadAllBytesAsync(file.Path);
        var ex = Assert.ThrowsAsync<KeyFileException>(() => file.CreateAsync(new KeyMaterial("other", []), MasterKey, CancellationToken.None))!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.Problem, Is.EqualTo(KeyFileProblem.AlreadyExists));
            Assert.That(System.IO.File.ReadAllBytes(file.Path), Is.EqualTo(before));
        });
    }

    [Test]
    public async Task A_crash_between_write_and_rename_leaves_the_previous_file_intact()
    {
        await File().CreateAsync(Material, MasterKey, CancellationToken.None);
        var before = await System.IO.File.ReadAllBytesAsync(_dir.File("vault_keys.enc"));
        string? tempSeen = null;
        var crashing = File(new AtomicFileWriter(temp =>
        {
            tempSeen = temp;
            Assert.That(System.IO.File.Exists(temp), "the temp file is complete before the rename");
            throw new IOException("simulated crash before rename");
        }));

        var ex = Assert.ThrowsAsync<KeyFileException>(() => crashing.ReplaceAsync(new KeyMaterial("replacement", []), MasterKey, CancellationToken.None))!;
        Assert.Multiple(async () =>
        {
            Assert.That(ex.Problem, Is.EqualTo(KeyFileProblem.WriteFailed));
            Assert.That(ex.Message, Does.Contain("previous file is unchanged"));
            Assert.That(tempSeen, Does.StartWith(_dir.Path), "temp file in the same folder, so the rename is atomic");
            Assert.That(System.IO.File.ReadAllBytes(_dir.File("vault_keys.enc")), Is.EqualTo(before));
            Assert.That((await File().ReadAsync(MasterKey, CancellationToken.None)).RootToken, Is.EqualTo(Material.RootToken));
            Assert.That(System.IO.File.Exists(tempSeen!), Is.False, "the temp file is cleaned up");
        });
    }

    [Test]
    public async Task A_temp_file_left_by_a_real_crash_is_ignored_and_the_next_write_succeeds()
    {
        await File().CreateAsync(Material, MasterKey, CancellationToken.None);
        await System.IO.File.WriteAllTextAsync(_dir.File(".vault_keys.enc.0123456789abcdef.tmp"), "half-written garbage");
        Assert.That((await File().ReadAsync(MasterKey, CancellationToken.None)).RootToken, Is.EqualTo(Material.RootToken));
        await File().ReplaceAsync(new KeyMaterial("second", []), MasterKey, CancellationToken.None);
        Assert.That((await File().ReadAsync(MasterKey, CancellationToken.None)).RootToken, Is.EqualTo("second"));
    }

    [Test]
    public void A_missing_file_says_where_it_was_expected_and_what_to_do()
    {
        var ex = Assert.ThrowsAsync<KeyFileException>(() => File().ReadAsync(MasterKey, CancellationToken.None))!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.Problem, Is.EqualTo(KeyFileProblem.Missing));
            Assert.That(ex.Message, Does.Contain(_dir.File("vault_keys.enc")).And.Contain("backup"));
        });
    }

    [Test]
    public async Task A_file_cut_below_the_smallest_key_material_is_truncated_not_a_wrong_key()
    {
        var file = File();
        await file.CreateAsync(Material, MasterKey, CancellationToken.None);
        var bytes = await System.IO.File.ReadAllBytesAsync(file.Path);
        await System.IO.File.WriteAllBytesAsync(file.Path, bytes.AsSpan(0, 48 + 20).ToArray());
        var ex = Assert.ThrowsAsync<KeyFileException>(() => file.ReadAsync(MasterKey, CancellationToken.None))!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.Problem, Is.EqualTo(KeyFileProblem.Truncated));
            Assert.That(ex.Message, Does.Contain("too few to hold key material"));
        });
    }

    [Test]
    public async Task A_file_cut_inside_the_ciphertext_fails_the_tag_check()
    {
        var file = File();
        await file.CreateAsync(Material, MasterKey, CancellationToken.None);
        var bytes = await System.IO.File.ReadAllBytesAsync(file.Path);
        await System.IO.File.WriteAllBytesAsync(file.Path, bytes.AsSpan(0, bytes.Length - 3).ToArray());
        var ex = Assert.ThrowsAsync<KeyFileException>(() => file.ReadAsync(MasterKey, CancellationToken.None))!;
        Assert.That(ex.Problem, Is.EqualTo(KeyFileProblem.IncorrectKeyOrTampered));
    }

    [Test]
    public async Task Decrypted_content_that_is_not_key_material_is_reported_as_corrupt()
    {
        var file = File();
        var blob = KeyFileCodec.Encrypt(Encoding.UTF8.GetBytes("{\"something\": \"else entirely, long enough\"}"), MasterKey, FastArgon);
        await System.IO.File.WriteAllBytesAsync(file.Path, blob);
        var ex = Assert.ThrowsAsync<KeyFileException>(() => file.ReadAsync(MasterKey, CancellationToken.None))!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.Problem, Is.EqualTo(KeyFileProblem.Corrupt));
            Assert.That(ex.Message, Does.Contain("root_token"));
            Assert.That(ex.Message, Does.Not.Contain("else entirely"));
        });
    }

    [Test]
    public void Reading_with_a_weak_key_is_refused_before_touching_the_file()
    {
        var ex = Assert.ThrowsAsync<KeyFileException>(() => File().ReadAsync("short", CancellationToken.None))!;
        Assert.That(ex.Problem, Is.EqualTo(KeyFileProblem.WeakKey));
    }

    [Test]
    public async Task Rekey_changes_the_key_salt_and_nonce_and_keeps_the_material()
    {
        var file = File();
        await file.CreateAsync(Material, MasterKey, CancellationToken.None);
        var before = await System.IO.File.ReadAllBytesAsync(file.Path);
        var count = await file.RekeyAsync(MasterKey, OtherKey, CancellationToken.None);
        var after = await System.IO.File.ReadAllBytesAsync(file.Path);
        Assert.Multiple(async () =>
        {
            Assert.That(count, Is.EqualTo(2));
            Assert.That(after.AsSpan(0, 32).SequenceEqual(before.AsSpan(0, 32)), Is.False);
            Assert.That((await file.ReadAsync(OtherKey, CancellationToken.None)).UnsealKeys, Is.EqualTo(Material.UnsealKeys));
            Assert.That(Assert.ThrowsAsync<KeyFileException>(() => file.ReadAsync(MasterKey, CancellationToken.None))!.Problem,
                Is.EqualTo(KeyFileProblem.IncorrectKeyOrTampered));
        });
    }

    [Test]
    public async Task Rekey_that_crashes_before_the_rename_leaves_the_old_file_usable_with_the_old_key()
    {
        await File().CreateAsync(Material, MasterKey, CancellationToken.None);
        var before = await System.IO.File.ReadAllBytesAsync(_dir.File("vault_keys.enc"));
        var crashing = File(new AtomicFileWriter(_ => throw new IOException("disk full (simulated)")));
        Assert.ThrowsAsync<KeyFileException>(() => crashing.RekeyAsync(MasterKey, OtherKey, CancellationToken.None));
        Assert.Multiple(async () =>
        {
            Assert.That(System.IO.File.ReadAllBytes(_dir.File("vault_keys.enc")), Is.EqualTo(before));
            Assert.That((await File().ReadAsync(MasterKey, CancellationToken.None)).RootToken, Is.EqualTo(Material.RootToken));
            Assert.That(Directory.GetFiles(_dir.Path), Has.Length.EqualTo(1));
        });
    }

    [Test]
    public async Task Rekey_refuses_a_weak_new_key_and_a_wrong_old_key_without_writing()
    {
        var file = File();
        await file.CreateAsync(Material, MasterKey, CancellationToken.None);
        var before = await System.IO.File.ReadAllBytesAsync(file.Path);
        var weak = Assert.ThrowsAsync<KeyFileException>(() => file.RekeyAsync(MasterKey, "aaaaaaaaaaaaaaaa", CancellationToken.None))!;
        var wrong = Assert.ThrowsAsync<KeyFileException>(() => file.RekeyAsync("wrong old master key", OtherKey, CancellationToken.None))!;
        Assert.Multiple(() =>
        {
            Assert.That(weak.Problem, Is.EqualTo(KeyFileProblem.WeakKey));
            Assert.That(weak.Message, Does.Contain("new master key"));
            Assert.That(wrong.Problem, Is.EqualTo(KeyFileProblem.IncorrectKeyOrTampered));
            Assert.That(System.IO.File.ReadAllBytes(file.Path), Is.EqualTo(before));
        });
    }

    [Test]
    public async Task Rekey_accepts_a_weak_old_key_so_an_operator_can_move_to_a_strong_one()
    {
        // An old release could have written a file under a key the policy now refuses; build one by hand (the codec refuses to).
        const string weak = "lyndrix1";
        var file = File();
        var salt = new byte[16];
        var nonce = new byte[16];
        Random.Shared.NextBytes(salt);
        Random.Shared.NextBytes(nonce);
        var key = Argon2idKeyDerivation.DeriveKey(weak, salt, FastArgon);
        var gcm = new Org.BouncyCastle.Crypto.Modes.GcmBlockCipher(new Org.BouncyCastle.Crypto.Engines.AesEngine());
        gcm.Init(true, new Org.BouncyCastle.Crypto.Parameters.AeadParameters(new Org.BouncyCastle.Crypto.Parameters.KeyParameter(key), 128, nonce));
        var plaintext = KeyMaterialJson.Serialize(Material);
        var sealedBytes = new byte[gcm.GetOutputSize(plaintext.Length)];
        gcm.DoFinal(sealedBytes, gcm.ProcessBytes(plaintext, 0, plaintext.Length, sealedBytes, 0));
        await System.IO.File.WriteAllBytesAsync(file.Path, [.. salt, .. nonce, .. sealedBytes[^16..], .. sealedBytes[..^16]]);

        Assert.That(Assert.ThrowsAsync<KeyFileException>(() => file.ReadAsync(weak, CancellationToken.None))!.Problem, Is.EqualTo(KeyFileProblem.WeakKey));
        Assert.That(await file.RekeyAsync(weak, OtherKey, CancellationToken.None), Is.EqualTo(2));
        Assert.That((await file.ReadAsync(OtherKey, CancellationToken.None)).RootToken, Is.EqualTo(Material.RootToken));
    }

    [Test]
    public void EnsureWritable_fails_clearly_when_the_folder_cannot_be_created()
    {
        var blocker = _dir.File("not-a-folder");
        System.IO.File.WriteAllText(blocker, "x");
        var file = new VaultKeyFile(Path.Combine(blocker, "security", "vault_keys.enc"), FastArgon);
        var ex = Assert.Throws<KeyFileException>(file.EnsureWritable)!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.Problem, Is.EqualTo(KeyFileProblem.WriteFailed));
            Assert.That(ex.Message, Does.Contain("Nothing was initialized"));
        });
    }
}
