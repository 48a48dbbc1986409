using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lyndrix.Core.Security;
using Lyndrix.Core.Tests.Auth.Support;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;

namespace Lyndrix.Core.Tests.Security;

[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class SecurityEventStreamTests
{
    private const string AdminPassword = SignIns.AdminPassword;

    private static readonly (string, string)[] Env = SignIns.Env(50, 50);

    [Test]
    public async Task A_real_http_client_sees_login_events_in_order_with_ids_and_can_resume_with_last_event_id()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var token = await host.LoginAsync("admin", AdminPassword);
        using var stream = await OpenAsync(host, token, "/api/events?topic=security:*");

        for (var i = 0; i < 3; i++)
        {
            var failed = await host.Client.PostAsJsonAsync("/api/auth/login", new { username = "mallory" + i, password = "guess" });
            Assert.That(failed.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }

        await host.LoginAsync("admin", AdminPassword);
        var seen = new List<SseMessage>();
        while (seen.Count < 4)
        {
            seen.Add(await stream.NextAsync());
        }

        Assert.Multiple(() =>
        {
            Assert.That(seen.Select(m => m.Event), Is.EqualTo(new[]
            {
                SecurityTopics.LoginFailed, SecurityTopics.LoginFailed, SecurityTopics.LoginFailed, SecurityTopics.LoginSucceeded,
            }));
            Assert.That(seen.Select(m => m.Data.GetProperty("payload").GetProperty("username").GetString()),
                Is.EqualTo(new[] { "mallory0", "mallory1", "mallory2", "admin" }));
            Assert.That(seen.Select(m => m.Id), Is.Ordered.Ascending);
            Assert.That(seen.Select(m => m.Id).Distinct().Count(), Is.EqualTo(4));
        });

        // A reconnecting client sends the last id it has: it gets exactly what came after.
        using var resumed = await OpenAsync(host, token, "/api/events?topic=security:*", lastEventId: seen[1].Id);
        Assert.That((await resumed.NextAsync()).Data.GetProperty("payload").GetProperty("username").GetString(), Is.EqualTo("mallory2"));
        Assert.That((await resumed.NextAsync()).Event, Is.EqualTo(SecurityTopics.LoginSucceeded));
    }

    [Test]
    public async Task A_stalled_client_does_not_slow_emitters_and_is_told_what_it_missed()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var token = await host.LoginAsync("admin", AdminPassword);
        using var stalled = await OpenAsync(host, token, "/api/events?topic=" + CoreTopics.SecurityPermissionDenied);

        // The client reads nothing while far more events than the ring holds are emitted (bigger than any socket buffer).
        var count = SecurityEventFeed.Capacity * 16;
        var payload = EventPayload.Create(("module_id", "test.mod"), ("operation", "secret"), ("resource", new string('r', 1500)));
        var watch = Stopwatch.StartNew();
        var emitting = Task.Run(() =>
        {
            for (var i = 0; i < count; i++)
            {
                host.Bus.Emit(CoreTopics.SecurityPermissionDenied, payload);
            }
        });
        await emitting.WaitAsync(TimeSpan.FromSeconds(60));
        watch.Stop();
        TestContext.Out.WriteLine($"{count} emits with a stalled stream client: {watch.ElapsedMilliseconds} ms");

        var missedSeen = false;
        for (var i = 0; i < count && !missedSeen; i++)
        {
            var m = await stalled.NextAsync();
            missedSeen = m.Event == "missed" && m.Data.GetProperty("missed").GetInt64() > 0;
        }

        Assert.That(missedSeen, Is.True, "the stalled client was told it missed events");
    }

    [Test]
    public async Task The_stream_is_for_administrators_and_bad_parameters_get_problem_details()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var admin = await host.LoginAsync("admin", AdminPassword);
        var bot = await host.LoginAsync("bot", SignIns.BotPassword);

        using var anonymous = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/events", null));
        using var notAdmin = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/events", bot));
        using var unknownTopic = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/events?topic=sample:hello", admin));
        var badId = host.Request(HttpMethod.Get, "/api/events", admin);
        badId.Headers.Add("Last-Event-ID", "abc");
        using var badIdResponse = await host.Client.SendAsync(badId);
        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(notAdmin.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        await ProblemAssert.IsProblemAsync(unknownTopic, 400, "unknown_topic");
        await ProblemAssert.IsProblemAsync(badIdResponse, 400, "invalid_last_event_id");
    }

    [Test]
    public async Task Recent_returns_held_events_as_json_and_long_polls_for_the_next()
    {
        await using var host = await AuthHost.StartAsync(Env);
        var token = await host.LoginAsync("admin", AdminPassword);
        using var all = await host.Client.SendAsync(host.Request(HttpMethod.Get, "/api/events/recent?after=0&topic=security:login_succeeded", token));
        var body = await all.Content.ReadFromJsonAsync<JsonElement>();
        var last = body.GetProperty("last_id").GetInt64();
        Assert.That(body.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("topic").GetString()), Has.Member(SecurityTopics.LoginSucceeded));

        var polling = host.Client.SendAsync(host.Request(HttpMethod.Get, $"/api/events/recent?after={last}&wait=20", token));
        await Task.Delay(200);
        Assert.That(polling.IsCompleted, Is.False, "the poll waits for a new event");
        host.Bus.Emit(SecurityTopics.Logout, EventPayload.Create(("username", "someone")));
        using var next = await polling.WaitAsync(TimeSpan.FromSeconds(15));
        var nextBody = await next.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(nextBody.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("topic").GetString()), Has.Member(SecurityTopics.Logout));
    }

    private static async Task<SseReader> OpenAsync(AuthHost host, string token, string path, long? lastEventId = null)
    {
        var request = host.Request(HttpMethod.Get, path, token);
        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var response = await host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
        return new SseReader(response, await response.Content.ReadAsStreamAsync());
    }

    private sealed record SseMessage(long Id, string Event, JsonElement Data);

    /// <summary>A minimal reader of the text/event-stream format, as a browser's EventSource parses it.</summary>
    private sealed class SseReader(HttpResponseMessage response, Stream body) : IDisposable
    {
        private readonly StreamReader _reader = new(body);

        public async Task<SseMessage> NextAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            long id = 0;
            string? name = null;
            string? data = null;
            while (true)
            {
                var line = await _reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException("the stream ended");
                if (line.Length == 0)
                {
                    if (data is not null)
                    {
                        using var doc = JsonDocument.Parse(data);
                        return new SseMessage(id, name ?? "message", doc.RootElement.Clone());
                    }

                    continue;
                }

                if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    id = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line[6..];
                }
            }
        }

        public void Dispose()
        {
            _reader.Dispose();
            response.Dispose();
        }
    }
}
