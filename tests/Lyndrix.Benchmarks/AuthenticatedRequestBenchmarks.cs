using System.Diagnostics;
using System.Net;

namespace Lyndrix.Benchmarks;

/// <summary>
/// What authentication costs per request on one host (embedded defaults: SQLite, embedded secret store): authenticated
/// <c>GET /api/auth/me</c> vs anonymous <c>GET /api/health</c>, requests per second with the same generator and
/// connections, rounds interleaved. Then the other half of the bargain: how long a revoked token keeps working.
/// </summary>
internal static class AuthenticatedRequestBenchmarks
{
    private const int Connections = 16;
    private const int Rounds = 3;
    private static readonly TimeSpan RoundLength = TimeSpan.FromSeconds(5);

    public static async Task RunAsync()
    {
        await using var host = await BenchHost.StartAsync();
        var (token, _) = await host.LoginAsync("admin", BenchHost.AdminPassword);

        // Warm-up: JIT tiering of both paths.
        await HttpLoad.RequestsPerSecondAsync(host, "/api/health", null, Connections, TimeSpan.FromSeconds(2));
        await HttpLoad.RequestsPerSecondAsync(host, "/api/auth/me", token, Connections, TimeSpan.FromSeconds(2));
        var health = new double[Rounds];
        var me = new double[Rounds];
        for (var r = 0; r < Rounds; r++)
        {
            health[r] = await HttpLoad.RequestsPerSecondAsync(host, "/api/health", null, Connections, RoundLength);
            me[r] = await HttpLoad.RequestsPerSecondAsync(host, "/api/auth/me", token, Connections, RoundLength);
        }

        var healthRps = Median(health);
        var meRps = Median(me);
        Measure.ReportAtLeast("authenticated /api/auth/me vs anonymous /api/health", healthRps, meRps, 0.5, "req/s");
        Measure.Note($"{HttpLoad.Generator}, {Connections} connections, {Rounds} interleaved rounds of {RoundLength.TotalSeconds:0} s, medians; " +
                     $"rounds health [{string.Join(", ", health.Select(x => x.ToString("0")))}], me [{string.Join(", ", me.Select(x => x.ToString("0")))}].");

        await RevocationAsync(host);
    }

    /// <summary>A second session of the same user is revoked through the API while the first keeps hammering <c>/me</c>
    /// (so the revoked token sits in the validation cache); reports when the revoked token first gets 401.</summary>
    private static async Task RevocationAsync(BenchHost host)
    {
        var (keeper, _) = await host.LoginAsync("admin", BenchHost.AdminPassword);
        var (victim, victimSession) = await host.LoginAsync("admin", BenchHost.AdminPassword);
        using (var warm = await host.Http.SendAsync(host.Request(HttpMethod.Get, "/api/auth/me", victim)))
        {
            if (warm.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"The fresh session was refused: {(int)warm.StatusCode}");
            }
        }

        using (var revoke = await host.Http.SendAsync(host.Request(HttpMethod.Delete, $"/api/auth/sessions/{victimSession}", keeper)))
        {
            if (revoke.StatusCode != HttpStatusCode.NoContent)
            {
                throw new InvalidOperationException($"Revocation answered {(int)revoke.StatusCode}");
            }
        }

        var start = Stopwatch.GetTimestamp();
        while (true)
        {
            using var probe = await host.Http.SendAsync(host.Request(HttpMethod.Get, "/api/auth/me", victim));
            if (probe.StatusCode == HttpStatusCode.Unauthorized)
            {
                break;
            }

            if (Stopwatch.GetElapsedTime(start) > TimeSpan.FromSeconds(10))
            {
                throw new InvalidOperationException("A revoked token still worked after 10 s.");
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(start);
        Measure.Note($"revocation: the revoked token's first 401 came {elapsed.TotalMilliseconds:0.0} ms after DELETE /api/auth/sessions/{{id}} answered " +
                     $"(goal: within 1000 ms; {(elapsed < TimeSpan.FromSeconds(1) ? "met" : "MISSED")}).");
    }

    private static double Median(double[] values) => values.Order().ElementAt(values.Length / 2);
}
