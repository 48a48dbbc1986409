using System.Diagnostics;
using System.Text.Json;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.Vault;
using Lyndrix.VaultDouble;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Benchmarks;

/// <summary>
/// Reading one module secret over the Vault backend against the Vault API double (HTTP on loopback) vs a raw
/// <c>HttpClient</c> GET of the same KV v2 path with the token header. Both read sequentially over one kept-alive connection.
/// </summary>
internal static class SecretReadBenchmarks
{
    private const string ModuleId = "bench.secrets";
    private const string HostPolicy = """
        path "lyndrix/data/*" { capabilities = ["create", "read", "update", "patch", "delete"] }
        path "lyndrix/metadata/*" { capabilities = ["read", "list", "delete"] }
        """;

    public static async Task RunAsync()
    {
        await using var vault = await VaultDoubleServer.StartAsync();
        vault.InitializeAndUnseal();
        vault.EnableKv("lyndrix");
        vault.PutPolicy("lyndrix-host", HostPolicy);
        var token = vault.CreateToken(["lyndrix-host"]);
        vault.WriteKv("lyndrix", "plugins/" + ModuleId, new Dictionary<string, string> { ["api_key"] = "s3cr3t-value", ["region"] = "eu-1" });

        var settings = new VaultSettings { Url = vault.BaseAddress, Token = token };
        await using var backend = new VaultSecretBackend(settings, TimeProvider.System, NullLogger<VaultSecretBackend>.Instance);
        await backend.OpenAsync(null, CancellationToken.None);
        var store = backend.Store;
        var path = "plugins/" + ModuleId;
        var first = await store.ReadAsync(path, CancellationToken.None);
        if (first.State != KvReadState.Found || first.Data!.GetValueOrDefault("api_key") != "s3cr3t-value")
        {
            throw new InvalidOperationException($"The secret read back as {first.State}; the comparison would be meaningless.");
        }

        using var raw = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = vault.BaseAddress };
        raw.DefaultRequestHeaders.Add("X-Vault-Token", token);
        var url = new Uri($"v1/lyndrix/data/{path}", UriKind.Relative);

        async Task<TimeSpan> Bare(int n)
        {
            vault.Requests.Clear();
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < n; i++)
            {
                using var response = await raw.GetAsync(url, CancellationToken.None);
                response.EnsureSuccessStatusCode();
                _ = await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
            }

            return Stopwatch.GetElapsedTime(start);
        }

        // A second baseline that also parses the answer and picks the field, to tell transport overhead from parsing.
        async Task<TimeSpan> BareParsed(int n)
        {
            vault.Requests.Clear();
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < n; i++)
            {
                using var response = await raw.GetAsync(url, CancellationToken.None);
                response.EnsureSuccessStatusCode();
                await using var body = await response.Content.ReadAsStreamAsync(CancellationToken.None);
                using var json = await JsonDocument.ParseAsync(body, default, CancellationToken.None);
                _ = json.RootElement.GetProperty("data").GetProperty("data").GetProperty("api_key").GetString();
            }

            return Stopwatch.GetElapsedTime(start);
        }

        var requestsPerRead = 0.0;
        async Task<TimeSpan> Lyndrix(int n)
        {
            vault.Requests.Clear();
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < n; i++)
            {
                var result = await store.ReadAsync(path, CancellationToken.None);
                _ = result.Data!["api_key"];
            }

            var elapsed = Stopwatch.GetElapsedTime(start);
            requestsPerRead = vault.Requests.Count / (double)n;
            return elapsed;
        }

        var (baseline, lyndrix) = await Measure.InterleavedMedianMicrosAsync(Bare, Lyndrix, operations: 1000);
        Measure.Report("GetSecret over Vault (KV store read)", baseline, lyndrix, 1.15, "us/op");
        Measure.Note($"HTTP requests per lyndrix read: {requestsPerRead:0.00} (the baseline makes exactly 1).");
        Measure.Note("baseline: HttpClient GET /v1/lyndrix/data/plugins/<id> with X-Vault-Token, body read as bytes; both against the Vault API double on loopback.");
        var (parsed, lyndrixAgain) = await Measure.InterleavedMedianMicrosAsync(BareParsed, Lyndrix, operations: 1000);
        Measure.Note($"for diagnosis: a raw GET that also parses the JSON and picks the field costs {parsed:0.0} us/op; lyndrix {lyndrixAgain:0.0} us/op is {lyndrixAgain / parsed:0.00}x that.");
    }
}
