using System.Diagnostics;
using System.Net.Http.Headers;

namespace Lyndrix.Benchmarks;

/// <summary>
/// Memory after a body flood: 16 clients at once each send a 28 MB login body (declared with Content-Length), then 16 more
/// chunked (no length, so only reading reveals the size). Reports the host's resident set size before, at its peak, and how
/// long it takes to come back within 10% of where it was (goal: within one minute).
/// </summary>
internal static class BodyFloodBenchmarks
{
    private const int Clients = 16;
    private const int BodyBytes = 28 * 1024 * 1024;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    public static async Task RunAsync()
    {
        await using var host = await BenchHost.StartAsync();
        // Steady state first: a login, some requests, then a quiet moment.
        await host.LoginAsync("admin", BenchHost.AdminPassword);
        await HttpLoad.RequestsPerSecondAsync(host, "/api/health", null, 4, TimeSpan.FromSeconds(2));
        await Task.Delay(TimeSpan.FromSeconds(5));
        var before = host.RssBytes();

        var body = new byte[BodyBytes];
        Array.Fill(body, (byte)'a');
        var peak = before;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, host.RssBytes());
                await Task.Delay(50);
            }
        });

        var statuses = new Dictionary<string, int>();
        var flood = Stopwatch.GetTimestamp();
        foreach (var chunked in new[] { false, true })
        {
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
            {
                var status = await SendAsync(host, body, chunked);
                lock (statuses)
                {
                    statuses[status] = statuses.GetValueOrDefault(status) + 1;
                }
            }));
        }

        var floodTime = Stopwatch.GetElapsedTime(flood);
        var backAt = (TimeSpan?)null;
        var settleStart = Stopwatch.GetTimestamp();
        long after;
        while (true)
        {
            after = host.RssBytes();
            if (after <= before * 1.10)
            {
                backAt = Stopwatch.GetElapsedTime(settleStart);
                break;
            }

            if (Stopwatch.GetElapsedTime(settleStart) > Settle)
            {
                break;
            }

            await Task.Delay(500);
        }

        await sampling.CancelAsync();
        await sampler;
        Console.WriteLine($"{"RSS after a 2 x 16 x 28 MB body flood",-48} before {Mb(before),8:0.0} MB  peak {Mb(peak),8:0.0} MB  " +
                          $"{(backAt is { } t ? $"back within 10% after {t.TotalSeconds:0.0} s" : $"still {Mb(after):0.0} MB after {Settle.TotalSeconds:0} s")} " +
                          $"(goal: within 10% in 60 s: {(backAt is not null ? "within target" : "OVER target")}); ratio {after / (double)before:0.00}x");
        Measure.Note($"answers: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Value} x {s.Key}"))}; the flood took {floodTime.TotalSeconds:0.0} s.");
    }

    private static async Task<string> SendAsync(BenchHost host, byte[] body, bool chunked)
    {
        using var request = host.Request(HttpMethod.Post, "/api/auth/login", null);
        HttpContent content = chunked ? new StreamContent(new MemoryStream(body, writable: false)) : new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (chunked)
        {
            request.Headers.TransferEncodingChunked = true;
        }

        request.Content = content;
        try
        {
            using var response = await host.Http.SendAsync(request);
            return ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException ex)
        {
            // The host may answer 413 and close before the whole body is sent; the client then sees a reset.
            return $"closed by the host mid-send ({ex.HttpRequestError})";
        }
    }

    private static double Mb(long bytes) => bytes / (1024.0 * 1024);
}
