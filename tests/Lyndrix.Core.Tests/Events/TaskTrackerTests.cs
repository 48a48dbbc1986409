using Lyndrix.Core.Events;
using Lyndrix.Core.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Tests.Events;

public sealed class TaskTrackerTests
{
    [Test]
    public async Task Failures_are_logged_with_owner_and_name()
    {
        var logs = new CapturingLoggerProvider();
        await using var tracker = new TaskTracker(logs.CreateLogger<TaskTracker>());
        await tracker.Run("mod.a", "sync-job", _ => throw new InvalidOperationException("bad job"));
        Assert.That(logs.Entries.Any(e => e.Level == LogLevel.Error && e.Message.Contains("mod.a/sync-job") && e.Message.Contains("bad job")), Is.True);
    }

    [Test]
    public async Task Cancelling_an_owner_stops_its_tasks_but_not_others()
    {
        var logs = new CapturingLoggerProvider();
        await using var tracker = new TaskTracker(logs.CreateLogger<TaskTracker>());
        var a = tracker.Run("mod.a", "loop", ct => Task.Delay(Timeout.Infinite, ct));
        var b = tracker.Run("mod.b", "loop", ct => Task.Delay(Timeout.Infinite, ct));

        var stragglers = await tracker.CancelOwnerAsync("mod.a", TimeSpan.FromSeconds(5));

        Assert.Multiple(() =>
        {
            Assert.That(stragglers, Is.Empty);
            Assert.That(a.IsCompleted, Is.True);
            Assert.That(b.IsCompleted, Is.False);
        });
    }

    [Test]
    public async Task A_task_that_ignores_cancellation_is_reported_as_a_straggler()
    {
        var logs = new CapturingLoggerProvider();
        await using var tracker = new TaskTracker(logs.CreateLogger<TaskTracker>());
        var release = new TaskCompletionSource();
        _ = tracker.Run("mod.a", "stubborn", _ => release.Task);

        var stragglers = await tracker.CancelOwnerAsync("mod.a", TimeSpan.FromMilliseconds(100));

        Assert.That(stragglers, Is.EqualTo(new[] { "stubborn" }));
        release.SetResult();
    }

    [Test]
    public async Task Dispose_cancels_everything()
    {
        var logs = new CapturingLoggerProvider();
        var tracker = new TaskTracker(logs.CreateLogger<TaskTracker>());
        var t = tracker.Run("mod.a", "loop", ct => Task.Delay(Timeout.Infinite, ct));
        await tracker.DisposeAsync();
        Assert.That(t.IsCompleted, Is.True);
    }
}
