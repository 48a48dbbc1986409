using Lyndrix.Core.Auth;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Core.Tests.Auth;

/// <summary>The reserved lane of known devices and their first place in the hashing queue.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class LoginAdmissionTests
{
    [Test]
    public void Unknown_clients_that_fill_their_lane_leave_the_lane_of_known_devices_free()
    {
        using var pool = new PasswordHashingPool(1, NullLogger<PasswordHashingPool>.Instance);
        var admission = new LoginAdmission(pool);
        var leases = Enumerable.Range(0, admission.Capacity).Select(i => admission.TryEnter(knownDevice: false, out _)).ToList();
        Assert.That(leases, Has.All.Not.Null);
        Assert.That(admission.TryEnter(knownDevice: false, out var retryAfter), Is.Null);
        Assert.That(retryAfter, Is.GreaterThan(TimeSpan.Zero));

        using var known = admission.TryEnter(knownDevice: true, out _);
        Assert.That(known, Is.Not.Null);

        leases[0]!.Dispose();
        leases[0]!.Dispose(); // twice: still one slot
        using var again = admission.TryEnter(knownDevice: false, out _);
        Assert.That(again, Is.Not.Null);
        Assert.That(admission.TryEnter(knownDevice: false, out _), Is.Null);
        foreach (var lease in leases.Skip(1))
        {
            lease!.Dispose();
        }
    }

    [Test]
    public void The_known_devices_lane_is_bounded_too()
    {
        using var pool = new PasswordHashingPool(1, NullLogger<PasswordHashingPool>.Instance);
        var admission = new LoginAdmission(pool);
        var leases = Enumerable.Range(0, admission.Capacity).Select(i => admission.TryEnter(knownDevice: true, out _)).ToList();
        Assert.That(leases, Has.All.Not.Null);
        Assert.That(admission.TryEnter(knownDevice: true, out _), Is.Null);
        foreach (var lease in leases)
        {
            lease!.Dispose();
        }
    }

    [Test]
    public async Task Prioritized_hashes_run_before_every_waiting_ordinary_one()
    {
        using var pool = new PasswordHashingPool(1, NullLogger<PasswordHashingPool>.Instance);
        using var busy = new ManualResetEventSlim();
        var order = new List<string>();
        var running = pool.RunAsync(() => busy.Wait(TimeSpan.FromSeconds(30)), CancellationToken.None);
        var ordinary = Enumerable.Range(0, 5).Select(i => pool.RunAsync(() => Record(order, "ordinary-" + i), CancellationToken.None)).ToList();
        Task<string> first;
        using (PasswordHashingPool.Prioritize())
        {
            first = pool.RunAsync(() => Record(order, "known"), CancellationToken.None);
        }

        var after = pool.RunAsync(() => Record(order, "ordinary-after"), CancellationToken.None);
        busy.Set();
        await Task.WhenAll([running, first, after, .. ordinary]);
        Assert.That(order, Is.EqualTo(new[] { "known", "ordinary-0", "ordinary-1", "ordinary-2", "ordinary-3", "ordinary-4", "ordinary-after" }),
            "the scope ends with its using block");
    }

    [Test]
    public async Task Work_queued_before_dispose_still_runs_and_work_after_it_is_refused()
    {
        var pool = new PasswordHashingPool(1, NullLogger<PasswordHashingPool>.Instance);
        using var busy = new ManualResetEventSlim();
        var running = pool.RunAsync(() => busy.Wait(TimeSpan.FromSeconds(30)), CancellationToken.None);
        var queued = pool.RunAsync(() => 42, CancellationToken.None);
        busy.Set();
        pool.Dispose();
        Assert.That(await queued, Is.EqualTo(42));
        Assert.That(await running, Is.True);
        Assert.Throws<ObjectDisposedException>(() => pool.RunAsync(() => 1, CancellationToken.None));
    }

    private static string Record(List<string> order, string name)
    {
        lock (order)
        {
            order.Add(name);
        }

        return name;
    }
}
