using System.Globalization;
using Lyndrix.Core.Tests.Support;
using Lyndrix.IntegrationTests.Support;
using Lyndrix.VaultDouble;

namespace Lyndrix.Benchmarks;

/// <summary>
/// Several hosts on one cluster: authenticated <c>GET /api/auth/me</c> per second served by one host vs by three hosts, all
/// three real <c>lyndrix</c> processes on a real three-node Galera cluster (loopback) and one Vault double, with the same
/// total number of connections (all on one host, or split over the three), rounds interleaved. On a machine with few cores
/// the three hosts share them, so no speed-up is expected there; the figure is for machines with cores to spare.
/// </summary>
internal static class ScaleOutBenchmarks
{
    private const int Hosts = 3;
    private const int ConnectionsPerHost = 5;
    private const int Rounds = 3;
    private static readonly TimeSpan RoundLength = TimeSpan.FromSeconds(5);

    public static async Task RunAsync()
    {
        await using var cluster = await GaleraCluster.StartAsync(Hosts);
        var password = "Bench-Db-" + Guid.NewGuid().ToString("N")[..12];
        await cluster.ExecuteAsync(0, "CREATE DATABASE `lyndrix_bench` CHARACTER SET utf8mb4");
        await cluster.ExecuteAsync(0, $"CREATE USER 'bench'@'127.0.0.%' IDENTIFIED BY '{password}'");
        await cluster.ExecuteAsync(0, "GRANT ALL PRIVILEGES ON `lyndrix_bench`.* TO 'bench'@'127.0.0.%'");
        await cluster.WaitUntilUsableEverywhereAsync("bench", password, "lyndrix_bench", TimeSpan.FromSeconds(30));
        await using var vault = await VaultDoubleServer.StartAsync();
        using var security = new TempDirectory("lyndrix-bench-security");
        var shared = new Dictionary<string, string>
        {
            ["VAULT_URL"] = vault.BaseAddress.ToString(),
            ["SECURITY_DIR"] = security.Path,
            ["LYNDRIX_MASTER_KEY"] = "bench-master-" + Guid.NewGuid().ToString("N"),
            ["DB_HOST"] = cluster.Hosts,
            ["DB_PORT"] = cluster.Port.ToString(CultureInfo.InvariantCulture),
            ["DB_USER"] = "bench",
            ["DB_PASSWORD"] = password,
            ["DB_NAME"] = "lyndrix_bench",
        };

        // The first host initializes Vault and migrates; the others join it.
        var hosts = new List<BenchHost> { await BenchHost.StartAsync(shared) };
        try
        {
            hosts.AddRange(await Task.WhenAll(Enumerable.Range(1, Hosts - 1).Select(_ => BenchHost.StartAsync(shared))));
            var tokens = new List<string>();
            foreach (var host in hosts)
            {
                tokens.Add((await host.LoginAsync("admin", BenchHost.AdminPassword)).Token);
            }

            var one = new[] { (hosts[0], tokens[0], ConnectionsPerHost * Hosts) };
            var all = hosts.Select((h, i) => (h, tokens[i], ConnectionsPerHost)).ToArray();
            await RequestsPerSecondAsync(one, TimeSpan.FromSeconds(2));
            await RequestsPerSecondAsync(all, TimeSpan.FromSeconds(2));
            var single = new double[Rounds];
            var three = new double[Rounds];
            for (var r = 0; r < Rounds; r++)
            {
                single[r] = await RequestsPerSecondAsync(one, RoundLength);
                three[r] = await RequestsPerSecondAsync(all, RoundLength);
            }

            Measure.ReportAtLeast($"authenticated /api/auth/me: {Hosts} hosts vs 1 host", Median(single), Median(three), double.NaN, "req/s");
            Measure.Note($"{HttpLoad.Generator}, {ConnectionsPerHost * Hosts} connections in all (on one host, or {ConnectionsPerHost} per host), " +
                         $"{Rounds} interleaved rounds of {RoundLength.TotalSeconds:0} s, medians; a {Hosts}-node Galera cluster and the hosts share " +
                         $"{Environment.ProcessorCount} cores; rounds 1 host [{string.Join(", ", single.Select(x => x.ToString("0", CultureInfo.InvariantCulture)))}], " +
                         $"{Hosts} hosts [{string.Join(", ", three.Select(x => x.ToString("0", CultureInfo.InvariantCulture)))}].");
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    /// <summary>The hosts under load at the same time; their requests per second added up.</summary>
    private static async Task<double> RequestsPerSecondAsync((BenchHost Host, string Token, int Connections)[] targets, TimeSpan duration) =>
        (await Task.WhenAll(targets.Select(t => HttpLoad.RequestsPerSecondAsync(t.Host, "/api/auth/me", t.Token, t.Connections, duration)))).Sum();

    private static double Median(double[] values) => values.Order().ElementAt(values.Length / 2);
}
