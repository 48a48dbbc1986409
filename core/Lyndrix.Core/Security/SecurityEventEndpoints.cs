using System.Globalization;
using System.Text;
using Lyndrix.Core.Hosting.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Lyndrix.Core.Security;

/// <summary>
/// <c>GET /api/events</c>: server-sent events of the security topics (<c>?topic=</c> filters, repeated or comma-separated,
/// <c>domain:*</c> for a whole domain; <c>Last-Event-ID</c> or <c>?last_event_id=</c> resumes, 0 replays what the ring holds);
/// <c>GET /api/events/recent</c>: the same as JSON for clients that poll (<c>?after=&amp;wait=</c>).
/// </summary>
internal static class SecurityEventEndpoints
{
    private const int ReadBatch = 256;
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);
    private static readonly byte[] KeepAliveLine = ": keep-alive\n\n"u8.ToArray();

    public static RouteGroupBuilder Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/events");
        group.MapGet("/", StreamAsync);
        group.MapGet("/recent", RecentAsync);
        group.MapGet("/topics", () => Results.Json(new { topics = SecurityTopics.Streamed }));
        return group;
    }

    private static async Task<IResult> StreamAsync(HttpContext http, SecurityEventFeed feed, CancellationToken cancellationToken)
    {
        if (ParseTopics(http.Request.Query["topic"]) is not { } filter)
        {
            return UnknownTopic();
        }

        var resumeFrom = http.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } header ? header : http.Request.Query["last_event_id"].ToString();
        long cursor;
        if (resumeFrom.Length == 0)
        {
            cursor = feed.LastId;
        }
        else if (!long.TryParse(resumeFrom, NumberStyles.None, CultureInfo.InvariantCulture, out cursor))
        {
            return ApiProblem.Result(StatusCodes.Status400BadRequest, "invalid_last_event_id",
                "Last-Event-ID must be the id of an event this stream sent (a whole number), or 0 for every event the host still holds.");
        }
        else if (cursor > feed.LastId)
        {
            cursor = 0; // ids of an earlier host process: everything this one holds is new to the client
        }

        var response = http.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.Body.WriteAsync("retry: 3000\n\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var events = feed.ReadAfter(cursor, ReadBatch, out var missed);
                if (missed > 0)
                {
                    await WriteAsync(response, null, "missed", Encoding.UTF8.GetBytes($"{{\"missed\":{missed}}}"), cancellationToken).ConfigureAwait(false);
                }

                foreach (var e in events)
                {
                    if (filter(e.Topic))
                    {
                        await WriteAsync(response, e.Id, e.Topic, SecurityEventJson.ToUtf8(e), cancellationToken).ConfigureAwait(false);
                    }

                    cursor = e.Id;
                }

                if (events.Count == 0)
                {
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    idle.CancelAfter(KeepAlive);
                    try
                    {
                        await feed.WaitAsync(cursor, idle.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        await response.Body.WriteAsync(KeepAliveLine, cancellationToken).ConfigureAwait(false);
                    }
                }

                await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }

        return Results.Empty;
    }

    private static async Task<IResult> RecentAsync(HttpContext http, SecurityEventFeed feed, CancellationToken cancellationToken)
    {
        if (ParseTopics(http.Request.Query["topic"]) is not { } filter)
        {
            return UnknownTopic();
        }

        var query = http.Request.Query;
        if (!TryLong(query["after"], 0, out var after) || after < 0 || !TryLong(query["wait"], 0, out var wait) || wait is < 0 or > 30)
        {
            return ApiProblem.Result(StatusCodes.Status400BadRequest, "invalid_query",
                "'after' is the id of the last event you have (a whole number, 0 for all the host holds); 'wait' is 0 to 30 seconds to wait for a new one.");
        }

        if (after > feed.LastId)
        {
            after = 0;
        }

        if (wait > 0)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(wait));
            try
            {
                await feed.WaitAsync(after, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
        }

        var events = feed.ReadAfter(after, SecurityEventFeed.Capacity, out var missed);
        var last = events.Count > 0 ? events[^1].Id : after;
        return Results.Stream(async body =>
        {
            await using var json = new System.Text.Json.Utf8JsonWriter(body);
            json.WriteStartObject();
            json.WriteNumber("last_id", last);
            json.WriteNumber("missed", missed);
            json.WriteStartArray("events");
            foreach (var e in events.Where(e => filter(e.Topic)))
            {
                SecurityEventJson.Write(json, e);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }, "application/json; charset=utf-8");
    }

    private static async Task WriteAsync(HttpResponse response, long? id, string name, byte[] data, CancellationToken cancellationToken)
    {
        var head = id is { } n ? $"id: {n.ToString(CultureInfo.InvariantCulture)}\nevent: {name}\ndata: " : $"event: {name}\ndata: ";
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(head), cancellationToken).ConfigureAwait(false);
        await response.Body.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        await response.Body.WriteAsync("\n\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A predicate over topics, or null when one asked for is not streamed.</summary>
    internal static Func<string, bool>? ParseTopics(Microsoft.Extensions.Primitives.StringValues values)
    {
        var asked = values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
        if (asked.Length == 0)
        {
            return static _ => true;
        }

        var exact = new HashSet<string>(StringComparer.Ordinal);
        var domains = new HashSet<string>(StringComparer.Ordinal);
        foreach (var topic in asked)
        {
            if (topic.EndsWith(":*", StringComparison.Ordinal) && SecurityTopics.Streamed.Any(t => t.StartsWith(topic[..^1], StringComparison.Ordinal)))
            {
                domains.Add(topic[..^1]);
            }
            else if (SecurityTopics.Streamed.Contains(topic))
            {
                exact.Add(topic);
            }
            else
            {
                return null;
            }
        }

        return topic => exact.Contains(topic) || domains.Any(d => topic.StartsWith(d, StringComparison.Ordinal));
    }

    private static IResult UnknownTopic() => ApiProblem.Result(StatusCodes.Status400BadRequest, "unknown_topic",
        "A 'topic' is not carried by the security stream. GET /api/events/topics lists those it carries; 'domain:*' selects a whole domain.");

    private static bool TryLong(Microsoft.Extensions.Primitives.StringValues raw, long fallback, out long value)
    {
        if (raw.Count == 0 || string.IsNullOrEmpty(raw.ToString()))
        {
            value = fallback;
            return true;
        }

        return long.TryParse(raw.ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }
}
