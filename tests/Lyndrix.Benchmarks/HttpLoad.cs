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

    /// <summary>
    /// A login storm from <c>wrk</c> (another process, so the storm's client work does not delay the latency probe's
    /// continuations in this one): <paramref name="connections"/> clients each send failed logins, every one for another
    /// unknown user, as fast as they are answered, for <paramref name="duration"/>. Returns how many answers had each status.
    /// </summary>
    public static async Task<Dictionary<int, int>> WrkLoginStormAsync(BenchHost host, int connections, TimeSpan duration)
    {
        using var script = new Lyndrix.Core.Tests.Support.TempDirectory("lyndrix-bench-wrk");
        var path = Path.Combine(script.Path, "storm.lua");
        await File.WriteAllTextAsync(path, StormScript);
        var info = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-t", "1", "-c", connections.ToString(CultureInfo.InvariantCulture), "-d", $"{duration.TotalSeconds:0}s", "--timeout", "60s", "-s", path })
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add(host.BaseAddress.AbsoluteUri);
        using var wrk = Process.Start(info)!;
        var output = await wrk.StandardOutput.ReadToEndAsync();
        await wrk.WaitForExitAsync();
        var answers = new Dictionary<int, int>();
        foreach (Match m in StormStatus().Matches(output))
        {
            var status = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            answers[status] = answers.GetValueOrDefault(status) + int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        }

        return answers.Count > 0 ? answers : throw new InvalidOperationException($"wrk reported no answers:\n{output}{await wrk.StandardError.ReadToEndAsync()}");
    }

    // Each request a failed login for a user nobody has (a full dummy hash each); the statuses are counted per thread and
    // printed at the end. An attacker ignores Retry-After: a 503 'busy' is simply sent again.
    private const string StormScript = """
        local threads = {}
        function setup(thread) table.insert(threads, thread) end
        function init(args) statuses = {}; n = 0; math.randomseed(os.time() + math.random(1, 100000)) end
        function request()
          n = n + 1
          local body = '{"username":"storm-' .. math.random(1, 1000000000) .. '-' .. n .. '","password":"wrong-password"}'
          return wrk.format("POST", "/api/auth/login", { ["Content-Type"] = "application/json" }, body)
        end
        function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
        function done(summary, latency, requests)
          for _, t in ipairs(threads) do
            for status, count in pairs(t:get("statuses")) do io.write(string.format("storm-status %d %d\n", status, count)) end
          end
        end
        """;

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

    [GeneratedRegex(@"storm-status (\d+) (\d+)")]
    private static partial Regex StormStatus();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex NonSuccess();
}
