using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Lyndrix.Core.Crypto;

namespace Lyndrix.Core.Tests.Crypto;

public sealed class Argon2RawTests
{
    private static void RequireNative()
    {
        if (Argon2Raw.IsNativeAvailable)
        {
            return;
        }

        Support.Requirement.Missing("libargon2.so.1 is not installed (apt-get install libargon2-1); the managed implementation is in use.");
    }

    [TestCase(2, 0x13, 3, 256, 4, 32)]
    [TestCase(2, 0x13, 1, 64, 1, 16)]
    [TestCase(1, 0x13, 2, 128, 2, 24)]
    [TestCase(0, 0x10, 2, 128, 2, 32)]
    public void The_reference_library_and_the_managed_implementation_agree(int type, int version, int t, int m, int p, int length)
    {
        RequireNative();
        var variant = (Argon2Variant)type;
        var password = Encoding.UTF8.GetBytes("correct horse ✓ battery");
        var salt = Encoding.ASCII.GetBytes("somesaltsomesalt");

        var native = Argon2Raw.HashNative(password, salt, variant, version, t, m, p, length);
        var managed = Argon2Raw.HashManaged(password, salt, variant, version, t, m, p, length);

        Assert.That(Convert.ToHexString(native), Is.EqualTo(Convert.ToHexString(managed)));
    }

    [Test]
    public void The_reference_library_reports_bad_parameters_without_the_password()
    {
        RequireNative();
        var ex = Assert.Throws<System.Security.Cryptography.CryptographicException>(() =>
            Argon2Raw.HashNative("hunter2-secret"u8, "short"u8, Argon2Variant.Id, 0x13, 1, 64, 1, 32));
        Assert.That(ex!.Message, Does.Contain("salt 5 bytes").And.Not.Contain("hunter2"));
    }

    [Test]
    public void The_known_answer_of_the_reference_argon2_cli_is_reproduced_by_whichever_implementation_is_in_use()
    {
        // Computed with the reference C tool: echo -n password | argon2 somesaltsomesalt -id -t 2 -m 8 -p 1 -l 32 -r
        const string expected = "cab746b4621993fdc91ec50787980b414a90a692f0bc68dfe19f9c25b3cba9ec";
        var hash = Argon2Raw.Hash("password"u8, "somesaltsomesalt"u8, Argon2Variant.Id, 0x13, 2, 256, 1, 32);
        Assert.That(Convert.ToHexString(hash).ToLowerInvariant(), Is.EqualTo(expected));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(4)]
    public void How_many_threads_compute_a_hash_does_not_change_its_bytes(int threads)
    {
        RequireNative();
        var password = Encoding.UTF8.GetBytes("correct horse ✓ battery");
        var salt = Encoding.ASCII.GetBytes("somesaltsomesalt");
        var reference = Argon2Raw.HashManaged(password, salt, Argon2Variant.Id, 0x13, 2, 1024, 4, 32);

        Assert.That(Argon2Raw.HashNative(password, salt, Argon2Variant.Id, 0x13, 2, 1024, 4, 32, threads), Is.EqualTo(reference));
        Assert.That(Argon2Raw.HashManaged(password, salt, Argon2Variant.Id, 0x13, 2, 1024, 4, 32, threads), Is.EqualTo(reference));
    }

    [Test]
    public void A_thread_that_keeps_its_hash_memory_reuses_it_gets_the_same_bytes_and_is_left_no_trace_of_the_computation()
    {
        RequireNative();
        var password = Encoding.UTF8.GetBytes("correct horse battery staple");
        var salt = Encoding.ASCII.GetBytes("somesaltsomesalt");
        var expected = Argon2Raw.HashNative(password, salt, Argon2Variant.Id, 0x13, 2, 4096, 2, 32);
        Assert.That(ThreadHashMemory.IsKept, Is.False, "a thread keeps nothing unless it opts in");

        var kept = RunOnNewThread(() =>
        {
            ThreadHashMemory.KeepOnThisThread();
            var first = Argon2Raw.Hash(password, salt, Argon2Variant.Id, 0x13, 2, 4096, 2, 32, threads: 1);
            var memory = ThreadHashMemory.Kept;
            var wiped = !memory.ContainsAnyExcept((byte)0);
            var second = Argon2Raw.Hash(password, salt, Argon2Variant.Id, 0x13, 2, 4096, 2, 32, threads: 1);
            var reused = Unsafe.AreSame(ref MemoryMarshal.GetReference(memory), ref MemoryMarshal.GetReference(ThreadHashMemory.Kept));
            var length = memory.Length;
            ThreadHashMemory.Release();
            return (first, second, length, wiped, reused, released: ThreadHashMemory.Kept.IsEmpty);
        });

        Assert.Multiple(() =>
        {
            Assert.That(kept.first, Is.EqualTo(expected));
            Assert.That(kept.second, Is.EqualTo(expected));
            Assert.That(kept.length, Is.EqualTo(4096 * 1024), "the hash's whole memory");
            Assert.That(kept.wiped, Is.True, "the library wipes the blocks before handing them back: nothing derived from the password stays");
            Assert.That(kept.reused, Is.True, "the second hash used the same memory");
            Assert.That(kept.released, Is.True);
        });
    }

    private static T RunOnNewThread<T>(Func<T> work)
    {
        T result = default!;
        var thread = new Thread(() => result = work());
        thread.Start();
        thread.Join();
        return result;
    }
}
