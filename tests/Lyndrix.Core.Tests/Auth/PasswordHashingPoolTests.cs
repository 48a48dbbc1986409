using Lyndrix.Core.Auth;
using Lyndrix.Core.Crypto;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Core.Tests.Auth;

/// <summary>Where and at which priority password hashes run, and how a caller that gives up leaves the pool.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class PasswordHashingPoolTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Work_runs_on_the_pool_s_own_threads_at_a_lowered_priority_and_the_caller_keeps_its_own()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("Per-thread nice values are Linux's.");
        }

        using var pool = new PasswordHashingPool(2, NullLogger<PasswordHashingPool>.Instance);
        var seen = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            pool.RunAsync(() => (Thread.CurrentThread.Name, LowPriorityThreads.Current()), CancellationToken.None)));

        Assert.That(seen.Select(s => s.Name), Has.All.StartsWith("lyndrix-hash-"));
        Assert.That(seen.Select(s => s.Item2), Has.All.EqualTo(CpuPriority.Lowered));
        Assert.That(LowPriorityThreads.Current(), Is.EqualTo(CpuPriority.Normal), "only the pool's threads are lowered, never a caller's");
    }

    [Test]
    public async Task A_password_hash_waits_for_the_pool_and_runs_on_it()
    {
        using var pool = new PasswordHashingPool(1, NullLogger<PasswordHashingPool>.Instance);
        var hasher = new PasswordHasher(Support.AuthTestConfig.CheapHashing, pool);
        using var busy = new ManualResetEventSlim();
        var blocker = pool.RunAsync(() => busy.Wait(Patience), CancellationToken.None);

        var hashing = hasher.HashAsync("a password of some length", CancellationToken.None);
        var verifying = hasher.VerifyAsync(null, "a password of some length", CancellationToken.None);
        await Task.Delay(200);
        Assert.That(hashing.IsCompleted || verifying.IsCompleted, Is.False, "neither hash runs while the pool's only thread is busy");

        busy.Set();
        Assert.That(await hashing, Does.StartWith("$argon2id$"));
        Assert.That(await verifying, Is.False);
        Assert.That(await blocker, Is.True);
    }

    [Test]
    public async Task A_caller_that_gives_up_while_its_hash_waits_is_answered_at_once_and_the_hash_never_runs()
    {
        using var pool = new PasswordHashingPool(1, NullLogger<PasswordHashingPool>.Instance);
        using var busy = new ManualResetEventSlim();
        var blocker = pool.RunAsync(() => busy.Wait(Patience), CancellationToken.None);
        var ran = 0;

        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var waiting = pool.RunAsync(() => Interlocked.Increment(ref ran), timeout.Token);
        var answered = await Task.WhenAny(waiting, Task.Delay(Patience / 3));

        Assert.That(answered, Is.SameAs(waiting), "cancelled while the pool's only thread was still busy, not when it got to it");
        Assert.That(waiting.IsCanceled, Is.True);
        busy.Set();
        Assert.That(await blocker, Is.True);
        Assert.That(await pool.RunAsync(() => Volatile.Read(ref ran), CancellationToken.None), Is.Zero, "the dropped work was skipped");
    }

    [Test]
    public async Task A_hash_already_running_finishes_when_its_caller_gives_up_so_no_more_hashes_run_than_threads()
    {
        using var pool = new PasswordHashingPool(1, NullLogger<PasswordHashingPool>.Instance);
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using var cancel = new CancellationTokenSource();
        var running = pool.RunAsync(() =>
        {
            started.Set();
            return release.Wait(Patience);
        }, cancel.Token);
        Assert.That(started.Wait(Patience), Is.True);

        await cancel.CancelAsync();
        await Task.Delay(100);
        Assert.That(running.IsCompleted, Is.False, "the caller waits for the hash it started: its slot stays taken until then");

        release.Set();
        Assert.That(await running, Is.True);
    }

    [Test]
    public async Task Work_given_an_already_cancelled_token_is_refused_without_running()
    {
        using var pool = new PasswordHashingPool(1, NullLogger<PasswordHashingPool>.Instance);
        var ran = false;
        var task = pool.RunAsync(() => ran = true, new CancellationToken(canceled: true));

        Assert.That(async () => await task, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(await pool.RunAsync(() => ran, CancellationToken.None), Is.False);
    }

    [Test]
    public async Task A_hashing_thread_keeps_its_hash_memory_between_hashes_and_gives_it_back_when_idle()
    {
        if (!Argon2Raw.IsNativeAvailable)
        {
            Assert.Ignore("Only the C library's memory is kept (libargon2-1 is not installed).");
        }

        using var pool = new PasswordHashingPool(1, TimeSpan.FromMilliseconds(200), NullLogger<PasswordHashingPool>.Instance);
        var parameters = new PasswordHashParameters(1, 2048, 1);
        var kept = await pool.RunAsync(() =>
        {
            PasswordHasher.Compute("a password", parameters, new byte[16]);
            return ThreadHashMemory.Kept.Length;
        }, CancellationToken.None);
        Assert.That(kept, Is.EqualTo(2048 * 1024));

        var released = false;
        for (var waited = 0; !released && waited < 60; waited++)
        {
            await Task.Delay(500);
            released = await pool.RunAsync(() => ThreadHashMemory.Kept.IsEmpty, CancellationToken.None);
        }

        Assert.That(released, Is.True, "half a second without work gives the memory back");
    }
}
