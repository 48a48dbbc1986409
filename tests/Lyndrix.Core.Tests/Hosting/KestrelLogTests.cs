using System.Net;
using System.Net.Sockets;
using System.Text;
using Lyndrix.Core.Hosting;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Core.Tests.Support;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Tests.Hosting;

/// <summary>What Kestrel writes to the log: nothing with a stack trace for what any client can cause (a 413, a 408, a hang-up
/// mid-body), but its other warnings still, since only the one noisy event is dropped.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class KestrelLogTests
{
    private static async Task<TcpClient> SendAsync(int port, string text)
    {
        var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.GetStream().WriteAsync(Encoding.ASCII.GetBytes(text));
        return socket;
    }

    private static async Task<string> ReadAnswerAsync(TcpClient socket)
    {
        var buffer = new byte[4096];
        var read = await socket.GetStream().ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    [Test]
    public async Task Bodies_too_large_too_slow_or_abandoned_leave_no_stack_trace_in_the_log()
    {
        await using var host = await AuthHost.StartAsync([], services: s => s.Configure<KestrelServerOptions>(o =>
            o.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(2))));
        var port = host.Client.BaseAddress!.Port;
        const string head = "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
        var big = new string('x', 200_000);

        // 413, declared and chunked; each client keeps sending after the answer.
        using (var declared = await SendAsync(port, head + "Content-Length: 200000\r\n\r\n" + big[..100_000]))
        {
            Assert.That(await ReadAnswerAsync(declared), Does.StartWith("HTTP/1.1 413"));
        }

        using (var chunked = await SendAsync(port, head + "Transfer-Encoding: chunked\r\n\r\n30D40\r\n" + big + "\r\n0\r\n\r\n"))
        {
            Assert.That(await ReadAnswerAsync(chunked), Does.StartWith("HTTP/1.1 413"));
        }

        // 408: a body that trickles in slower than Kestrel's minimum rate.
        using (var slow = await SendAsync(port, head + "Content-Length: 5000\r\n\r\n{\"username\": \"adm"))
        {
            Assert.That(await ReadAnswerAsync(slow), Does.StartWith("HTTP/1.1 408"));
        }

        // Hang-ups mid-body: the case that made Kestrel log a stack trace (dotnet/aspnetcore#52324).
        for (var i = 0; i < 5; i++)
        {
            using var gone = await SendAsync(port, head + "Content-Length: 5000\r\n\r\n{\"username\": \"adm");
            await Task.Delay(300);
        }

        // Depending on when the host notices the hang-up, the pipeline logs "the client closed the connection" or a refused
        // request (unexpected end of the body); either way one Information line, and the first hang-up may leave none at all.
        IEnumerable<CapturedLog> AboutLogin() => RequestLines(host).Where(e => e.Message.Contains("/api/auth/login", StringComparison.Ordinal));
        for (var waited = 0; waited < 100 && AboutLogin().Count() < 4; waited++)
        {
            await Task.Delay(100);
        }

        await Task.Delay(1000);
        Assert.That(AboutLogin().Count(), Is.GreaterThanOrEqualTo(4), string.Join("\n", RequestLines(host)));
        Assert.That(AboutLogin().Select(e => e.Level), Has.All.EqualTo(LogLevel.Information), string.Join("\n", RequestLines(host)));
        Assert.That(host.Logs.Entries.Where(e => e.Exception is not null), Is.Empty, host.Logs.AllText);
        Assert.That(host.Logs.Entries.Where(e => e.Category.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal)), Is.Empty, host.Logs.AllText);
        Assert.That(host.Logs.AllText, Does.Not.Contain("   at "), "no stack trace");
    }

    /// <summary>The log without the boot story, for failure messages.</summary>
    private static IEnumerable<CapturedLog> RequestLines(AuthHost host) =>
        host.Logs.Entries.Where(e => !e.Category.StartsWith("Lyndrix.Core.", StringComparison.Ordinal) || e.Category.StartsWith("Lyndrix.Core.Hosting", StringComparison.Ordinal));

    [Test]
    public async Task Kestrels_other_warnings_still_reach_the_log()
    {
        // The connection limit is Kestrel's own: a connection over it is rejected with a Kestrel warning an operator must see.
        await using var host = await AuthHost.StartAsync([], services: s => s.Configure<KestrelServerOptions>(o => o.Limits.MaxConcurrentConnections = 1));
        var port = host.Client.BaseAddress!.Port;
        using var first = await SendAsync(port, "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        Assert.That(await ReadAnswerAsync(first), Does.StartWith("HTTP/1.1 200"));
        using var second = await SendAsync(port, "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

        await Eventually.True(() => host.Logs.Entries.Any(e => e.Category.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal) &&
                                                               e.Level == LogLevel.Warning && e.Message.Contains("maximum number of concurrent connections", StringComparison.Ordinal)),
            "Kestrel's connection-limit warning");
    }

    [Test]
    public void Only_the_abort_event_is_dropped()
    {
        var capture = new CapturingLoggerProvider();
        using var factory = new KestrelAbortLogFilter(LoggerFactory.Create(b => b.AddProvider(capture).SetMinimumLevel(LogLevel.Trace)));
        var kestrel = factory.CreateLogger(KestrelAbortLogFilter.Category);
#pragma warning disable CA1848, CA2254 // logging exactly as Kestrel does
        kestrel.LogWarning(0, new InvalidOperationException("Reading is already in progress."), KestrelAbortLogFilter.Message);
        kestrel.LogWarning(0, new IOException("disk"), KestrelAbortLogFilter.Message);
        kestrel.LogWarning(22, "Heartbeat took longer than \"00:00:01\".");
        kestrel.LogError(0, new InvalidOperationException("Reading is already in progress."), KestrelAbortLogFilter.Message);
        factory.CreateLogger("Lyndrix.Core.Other").LogWarning(0, new InvalidOperationException("x"), KestrelAbortLogFilter.Message);
#pragma warning restore CA1848, CA2254
        Assert.That(capture.Entries.Select(e => (e.Category, e.Level, e.EventId.Id, e.Exception?.GetType().Name)), Is.EqualTo(new[]
        {
            (KestrelAbortLogFilter.Category, LogLevel.Warning, 0, "IOException"),
            (KestrelAbortLogFilter.Category, LogLevel.Warning, 22, (string?)null),
            (KestrelAbortLogFilter.Category, LogLevel.Error, 0, "InvalidOperationException"),
            ("Lyndrix.Core.Other", LogLevel.Warning, 0, "InvalidOperationException"),
        }));
    }
}
