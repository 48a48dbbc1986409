using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Lyndrix.Benchmarks;

/// <summary>
/// Load against a <see cref="BenchHost"/>: throughput with <c>wrk</c> (Debian package <c>wrk</c>; a C generator leaves the
/// two cores to the host far more than a .NET client would) or, where it is not installed, with a closed loop of
/// <see cref="HttpClient"/> requests; and single requests timed one after another for latency percentiles.
/// </summary>
internal static partial class HttpLoad
{
    public static bool WrkInstalled { get; } = File.Exists("/usr/bin/wrk") || File.Exists("/usr/local/bin/wrk");

    public static string Generator => WrkInstalled ? "wrk" : ".NET HttpClient closed loop (apt-get install -y wrk for a lighter generator)";

    /// <summary>Requests per second of <paramref name="path"/> with <paramref name="connections"/> keep-alive connections;
    /// only 2xx answers count.</summary>
    public static async Task<double> RequestsPerSecondAsync(BenchHost host, string path, string? bearer, int connections, TimeSpan duration)
    {
        if (WrkInstalled)
        {
            var info = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { "-t", "1", "-c", connections.ToString(CultureInfo.InvariantCulture), "-d", $"{duration.TotalSeconds:0}s" })
            {
                info.ArgumentList.Add(arg);
            }

            if (bearer is not null)
            {
                info.ArgumentList.Add("-H");
                info.ArgumentList.Add("Authorization: Bearer " + bearer);
            }

            info.ArgumentList.Add(new Uri(host.BaseAddress, path).AbsoluteUri);
            using var wrk = Process.Start(info)!;
            var output = await wrk.StandardOutput.ReadToEndAsync();
            await wrk.WaitForExitAsync();
            if (NonSuccess().Match(output) is { Success: true } bad)
            {
                throw new InvalidOperationException($"{path} answered {bad.Groups[1].Value} requests with a non-2xx status:\n{output}");
            }

            return double.Parse(Rps().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        }

        var stop = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long count = 0;
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            while (Stopwatch.GetTimestamp() < stop)
            {
                using var response = await host.Http.SendAsync(host.Request(HttpMethod.Get, path, bearer));
                await response.Content.ReadAsByteArrayAsync();
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}");
                }

                Interlocked.Increment(ref count);
            }
        }));
        return count / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Milliseconds of each of the requests sent one at a time, <paramref name="gap"/> apart, for
    /// <paramref name="duration"/>: latency as a lone user sees it, not the queueing of a saturated server.</summary>
    public static async Task<List<double>> SequentialLatenciesAsync(BenchHost host, string path, TimeSpan gap, TimeSpan duration)
    {
        var samples = new List<double>();
        var stop = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < stop)
        {
            var start = Stopwatch.GetTimestamp();
            using (var response = await host.Http.GetAsync(path))
            {
                await response.Content.ReadAsByteArrayAsync();
            }

            samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            await Task.Delay(gap);
        }

        return samples;
    }

    public static double Percentile(IReadOnlyCollection<double> samples, double p)
    {
        var sorted = samples.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex Rps();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex NonSuccess();
}
