using System.Diagnostics;
using System.Net.Http.Json;

namespace Lyndrix.Benchmarks;

/// <summary>
/// Whether the defender's slow hash becomes the attacker's denial of service: <c>/api/health</c> latency, requested one at
/// a time by a lone client, while the host is idle vs while 20 clients send failed logins as fast as they are answered
/// (each for another unknown user, with throttling raised out of the way, so every attempt costs a full Argon2id hash).
/// Also: how long the owner's correct login takes in the middle of the storm, from a browser-like client that signed in before
/// (it holds the device cookie) and from one that did not.
/// </summary>
internal static class LoginStormBenchmarks
{
    private const int StormClients = 20;
    private static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(10);

    public static async Task RunAsync()
    {
        await using var host = await BenchHost.StartAsync(new Dictionary<string, string>
        {
            ["LYNDRIX_LOGIN_MAX_FAILURES_PER_USER"] = "10000",
            ["LYNDRIX_LOGIN_MAX_FAILURES_PER_CLIENT"] = "100000",
        });

        await HttpLoad.SequentialLatenciesAsync(host, "/api/health", Gap, TimeSpan.FromSeconds(2)); // warm-up
        var idle = new List<double>();
        var storm = new List<double>();
        var ownerLogins = new List<string>();
        var strangerLogins = new List<string>();
        using var owner = new HttpClient(new SocketsHttpHandler { UseCookies = true }) { BaseAddress = host.BaseAddress };
        using var stranger = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = host.BaseAddress };
        var idleLogin = Stopwatch.StartNew();
        using (var signedIn = await owner.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = BenchHost.AdminPassword }))
        {
            signedIn.EnsureSuccessStatusCode(); // the owner's browser now holds its device cookie
        }

        idleLogin.Stop();

        // Warm-up storm (not measured): the login paths' code reaches its final JIT tier, as on a host that has been running.
        await StormAsync(host, "warm", new Dictionary<int, int>(), TimeSpan.FromSeconds(5), () => Task.CompletedTask);
        var stormAnswers = new Dictionary<int, int>();
        for (var round = 0; round < 2; round++)
        {
            idle.AddRange(await HttpLoad.SequentialLatenciesAsync(host, "/api/health", Gap, Phase));
            var length = Phase + TimeSpan.FromSeconds(2);
            await StormAsync(host, $"storm-{round}", stormAnswers, length, async () =>
            {
                var end = Stopwatch.GetTimestamp() + (long)(length.TotalSeconds * Stopwatch.Frequency);
                await Task.Delay(TimeSpan.FromSeconds(1)); // the storm is up
                var probe = HttpLoad.SequentialLatenciesAsync(host, "/api/health", Gap, Phase);
                await Task.Delay(Phase / 2);
                var ownerLogin = OwnerLoginAsync(owner, end);
                var strangerLogin = OwnerLoginAsync(stranger, end);
                ownerLogins.Add(await ownerLogin);
                strangerLogins.Add(await strangerLogin);
                storm.AddRange(await probe);
            });
        }

        var idleP99 = HttpLoad.Percentile(idle, 99);
        var stormP99 = HttpLoad.Percentile(storm, 99);
        Console.WriteLine($"{"/api/health p99 during a 20-client login storm",-48} idle {idleP99,8:0.00} ms  storm {stormP99,8:0.00} ms  " +
                          $"(goal <= 20 ms: {(stormP99 <= 20 ? "within target" : "OVER target")}); ratio {stormP99 / idleP99:0.0}x");
        Measure.Note($"p50 idle {HttpLoad.Percentile(idle, 50):0.00} ms, storm {HttpLoad.Percentile(storm, 50):0.00} ms; max storm {storm.Max():0.0} ms; " +
                     $"{idle.Count} + {storm.Count} requests, one at a time, {Gap.TotalMilliseconds:0} ms apart, 2 rounds of {Phase.TotalSeconds:0} s each " +
                     $"after a 5 s warm-up storm; storm from {(HttpLoad.WrkInstalled ? "wrk" : "this process (apt-get install -y wrk for a generator of its own)")}.");
        Measure.Note($"storm answers: {string.Join(", ", stormAnswers.OrderBy(a => a.Key).Select(a => $"{a.Value} x {a.Key}"))}; " +
                     $"the owner's correct login in the storm (retrying as Retry-After says) with the device cookie: {string.Join("; ", ownerLogins)}; " +
                     $"from a client without one: {string.Join("; ", strangerLogins)}; a login on the idle host: {idleLogin.Elapsed.TotalMilliseconds:0} ms.");
    }

    /// <summary>Runs <paramref name="during"/> (which must be over within <paramref name="length"/>) while
    /// <see cref="StormClients"/> clients send failed logins for <paramref name="length"/>, from wrk when it is installed, else
    /// from this process.</summary>
    private static async Task StormAsync(BenchHost host, string prefix, Dictionary<int, int> answers, TimeSpan length, Func<Task> during)
    {
        if (HttpLoad.WrkInstalled)
        {
            var wrk = HttpLoad.WrkLoginStormAsync(host, StormClients, length);
            await during();
            foreach (var (status, count) in await wrk)
            {
                answers[status] = answers.GetValueOrDefault(status) + count;
            }

            return;
        }

        using var stop = new CancellationTokenSource();
        var attackers = Enumerable.Range(0, StormClients).Select(i => AttackAsync(host, $"{prefix}-{i}", answers, stop.Token)).ToArray();
        await Task.WhenAll(during(), Task.Delay(length));
        await stop.CancelAsync();
        await Task.WhenAll(attackers);
    }

    /// <summary>The owner signs in with the right password, as a person would: on 429/503 waits what Retry-After says (at
    /// most until the storm ends at <paramref name="end"/>, a <see cref="Stopwatch"/> timestamp), then tries again.</summary>
    private static async Task<string> OwnerLoginAsync(HttpClient client, long end)
    {
        var start = Stopwatch.GetTimestamp();
        var refusals = new List<string>();
        while (Stopwatch.GetTimestamp() < end)
        {
            using var response = await client.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = BenchHost.AdminPassword });
            if (response.IsSuccessStatusCode)
            {
                return $"{Stopwatch.GetElapsedTime(start).TotalMilliseconds:0} ms" + (refusals.Count == 0 ? "" : $" after {string.Join(", ", refusals)}");
            }

            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            refusals.Add($"{(int)response.StatusCode} (Retry-After {wait.TotalSeconds:0} s)");
            var left = TimeSpan.FromSeconds((end - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            await Task.Delay(wait < left ? wait : left);
        }

        return $"no success while the storm lasted ({string.Join(", ", refusals)})";
    }

    private static async Task AttackAsync(BenchHost host, string user, Dictionary<int, int> answers, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var response = await host.Http.PostAsJsonAsync("/api/auth/login", new { username = user, password = "wrong-" + user }, CancellationToken.None);
                lock (answers)
                {
                    answers[(int)response.StatusCode] = answers.GetValueOrDefault((int)response.StatusCode) + 1;
                }

                // An attacker ignores Retry-After: a 503 'busy' (hashing pool full) is simply sent again.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
