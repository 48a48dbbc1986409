using System.Diagnostics;
using System.Text;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Tests.Auth.Support;

namespace Lyndrix.Core.Tests.Auth;

[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class PasswordHasherTests
{
    // Made with the reference tool: echo -n 'pw-from-cli' | argon2 saltsaltsaltsalt -id -t 2 -k 1024 -p 2 -l 32 -e
    private const string ArgonCliHash = "$argon2id$v=19$m=1024,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA$TlVNzprdVlm/c5Uu7VWkiqOphwYCB6y7T6wjoBRkLI8";

    // Made with argon2-cffi: PasswordHasher(time_cost=2, memory_cost=1024, parallelism=2).hash('correct horse battery staple')
    // (its 16-byte hash length, as older argon2-cffi versions wrote).
    private const string ArgonCffiHash = "$argon2id$v=19$m=1024,t=2,p=2$8ZCgJsXoU1JzAbYNl45rWg$44UxsLa3pexdgpVHurvolQ";

    // The brief's reference: echo -n pw | argon2 somesalt -id -t 3 -m 16 -p 4 -e (the production cost, 64 MiB).
    private const string ArgonCliDefaultCostHash = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$+69CFlh9xsnPWDQ8sreIPrDO3ltwVyG6sWCbWQ3PIwA";

    private readonly PasswordHasher _hasher = AuthTestConfig.Hasher(AuthTestConfig.CheapHashing);

    [Test]
    public async Task Verifies_a_hash_made_by_the_reference_argon2_tool()
    {
        Assert.That(await _hasher.VerifyAsync(ArgonCliHash, "pw-from-cli", CancellationToken.None), Is.True);
        Assert.That(await _hasher.VerifyAsync(ArgonCliHash, "pw-from-cl1", CancellationToken.None), Is.False);
    }

    [Test]
    public async Task Verifies_a_hash_made_by_argon2_cffi()
    {
        Assert.That(await _hasher.VerifyAsync(ArgonCffiHash, "correct horse battery staple", CancellationToken.None), Is.True);
        Assert.That(await _hasher.VerifyAsync(ArgonCffiHash, "Correct horse battery staple", CancellationToken.None), Is.False);
    }

    [Test]
    public async Task Verifies_a_reference_hash_at_the_production_cost()
    {
        Assert.That(await _hasher.VerifyAsync(ArgonCliDefaultCostHash, "pw", CancellationToken.None), Is.True);
    }

    [Test]
    public void Writes_byte_identical_strings_to_the_reference_tool_for_the_same_salt()
    {
        var ours = PasswordHasher.Compute("pw-from-cli", new PasswordHashParameters(2, 1024, 2), Encoding.ASCII.GetBytes("saltsaltsaltsalt"));
        Assert.That(ours, Is.EqualTo(ArgonCliHash));
    }

    [Test]
    public async Task New_hashes_use_the_PHC_format_of_argon2_cffi()
    {
        var hash = await AuthTestConfig.Hasher(PasswordHashParameters.Default).HashAsync("lyndrix", CancellationToken.None);
        Assert.That(hash, Does.Match(@"^\$argon2id\$v=19\$m=65536,t=3,p=4\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$"));
    }

    [Test]
    public async Task Round_trips_and_salts_every_hash()
    {
        var a = await _hasher.HashAsync("s3cret-pässword", CancellationToken.None);
        var b = await _hasher.HashAsync("s3cret-pässword", CancellationToken.None);
        Assert.That(a, Is.Not.EqualTo(b));
        Assert.That(await _hasher.VerifyAsync(a, "s3cret-pässword", CancellationToken.None), Is.True);
        Assert.That(await _hasher.VerifyAsync(b, "s3cret-password", CancellationToken.None), Is.False);
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("plaintext")]
    [TestCase("$argon2id$v=19$m=1024,t=2$c2FsdHNhbHQ$aGFzaGhhc2g")]
    [TestCase("$argon2id$v=19$m=9999999,t=2,p=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo")]
    [TestCase("$bcrypt$v=19$m=1024,t=2,p=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo")]
    [TestCase("$argon2id$v=19$m=1024,t=2,p=2$c2FsdHNhbHRzYWx0$not*base64")]
    public async Task Unreadable_hashes_never_verify_but_still_cost_a_computation(string? stored)
    {
        _hasher.Warm();
        var before = PasswordHasher.Computations;
        Assert.That(await _hasher.VerifyAsync(stored, "anything", CancellationToken.None), Is.False);
        Assert.That(PasswordHasher.Computations - before, Is.EqualTo(1));
    }

    [Test]
    public void Needs_rehash_when_parameters_differ()
    {
        Assert.That(_hasher.NeedsRehash(ArgonCliHash), Is.True);
        Assert.That(AuthTestConfig.Hasher(new PasswordHashParameters(2, 1024, 2)).NeedsRehash(ArgonCliHash), Is.False);
    }

    [Test]
    public async Task Live_reference_tool_agrees_when_installed()
    {
        if (!File.Exists("/usr/bin/argon2"))
        {
            Assert.Ignore("The reference argon2 tool is not installed (apt-get install argon2); the stored vectors above still run.");
        }

        var salt = "livesalt" + Guid.NewGuid().ToString("N")[..8];
        var password = "live-" + Guid.NewGuid().ToString("N");
        var psi = new ProcessStartInfo("/usr/bin/argon2", [salt, "-id", "-t", "1", "-k", "2048", "-p", "2", "-l", "32", "-e"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(psi)!;
        await process.StandardInput.WriteAsync(password);
        process.StandardInput.Close();
        var cli = (await process.StandardOutput.ReadToEndAsync()).Trim();
        await process.WaitForExitAsync();

        Assert.That(await _hasher.VerifyAsync(cli, password, CancellationToken.None), Is.True, cli);
        Assert.That(PasswordHasher.Compute(password, new PasswordHashParameters(1, 2048, 2), Encoding.ASCII.GetBytes(salt)), Is.EqualTo(cli));
    }

    [Test]
    public async Task A_password_hash_at_the_production_cost_starts_no_thread_of_its_own()
    {
        // libargon2 would start a thread per lane (4), each taking a core from the API; the hashing pool's thread must be all.
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("Counts threads through /proc.");
        }

        using var pool = new PasswordHashingPool(1, Microsoft.Extensions.Logging.Abstractions.NullLogger<PasswordHashingPool>.Instance);
        var hasher = new PasswordHasher(PasswordHashParameters.Default, pool);
        var idle = HashingThreads();
        var hashing = hasher.HashAsync("a password of some length", CancellationToken.None);
        var most = idle;
        while (!hashing.IsCompleted)
        {
            most = Math.Max(most, HashingThreads());
            await Task.Delay(1);
        }

        Assert.That(await hashing, Does.StartWith("$argon2id$v=19$m=65536,t=3,p=4$"));
        Assert.That(most, Is.EqualTo(idle), "threads named like the pool's (new threads take their creator's name)");
    }

    private static int HashingThreads() => Directory.EnumerateDirectories("/proc/self/task").Count(task =>
    {
        try
        {
            return File.ReadAllText(Path.Combine(task, "comm")).StartsWith("lyndrix-hash", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false; // the thread ended meanwhile
        }
    });
}
