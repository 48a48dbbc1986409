using System.Diagnostics;
using System.Text.Json;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Events;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Secrets.Scopes;
using Lyndrix.Core.Secrets.Vault;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk;
using Lyndrix.VaultDouble;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Benchmarks;

/// <summary>
/// A module's <c>GetSecretAsync</c> (its <c>ModuleContext</c> over <c>ModuleSecretScope</c> over <c>VaultSecretBackend</c>) against
/// the Vault API double (HTTP on loopback) vs a raw <c>HttpClient</c> GET of the same KV v2 path with the token header. Both
/// read sequentially over one kept-alive connection.
/// </summary>
internal static class SecretReadBenchmarks
{
    private const string ModuleId = "bench.secrets";

    public static async Task RunAsync()
    {
        var (vault, token) = await BenchVault.StartAsync();
        await using var vaultLifetime = vault;
        vault.WriteKv("lyndrix", "plugins/" + ModuleId, new Dictionary<string, string> { ["api_key"] = "s3cr3t-value", ["region"] = "eu-1" });

        var settings = new VaultSettings { Url = vault.BaseAddress, Token = token };
        await using var backend = new VaultSecretBackend(settings, TimeProvider.System, NullLogger<VaultSecretBackend>.Instance);
        await backend.OpenAsync(null, CancellationToken.None);
        using var scratch = new TempDirectory("lyndrix-bench-secrets");
        var scopes = new ModuleSecretScopeFactory(
            backend, new SecretStoreSettings { SecurityDir = scratch.Path, IsDev = true, Argon = Argon2Parameters.Default }, TimeProvider.System, NullLoggerFactory.Instance);
        var manifest = new ModuleManifest { Id = ModuleId, Name = "Secrets benchmark", Version = "1.0.0" };
        await using var bus = new EventBus(NullLogger<EventBus>.Instance, TimeProvider.System);
        await using var tasks = new TaskTracker(NullLogger<TaskTracker>.Instance);
        var module = new ModuleContextFactory(bus, tasks, scopes, new AuthProviderRegistry(), NullLoggerFactory.Instance).Create(manifest, new Dictionary<string, string?>());
        var path = ModuleSecretScopeFactory.PathFor(manifest);
        var first = await module.GetSecretAsync("api_key", CancellationToken.None);
        if (first != "s3cr3t-value")
        {
            throw new InvalidOperationException($"The secret read back as '{first}'; the comparison would be meaningless.");
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

        // Layer by layer, to show where time goes: the Vault client (transport, token session, JSON), then the KV store.
        async Task<TimeSpan> Client(int n)
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < n; i++)
            {
                _ = await backend.Client.ReadKvAsync("lyndrix", path, null, CancellationToken.None);
            }

            return Stopwatch.GetElapsedTime(start);
        }

        async Task<TimeSpan> Store(int n)
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < n; i++)
            {
                _ = await backend.Store.ReadAsync(path, CancellationToken.None);
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
                _ = await module.GetSecretAsync("api_key", CancellationToken.None);
            }

            var elapsed = Stopwatch.GetElapsedTime(start);
            requestsPerRead = vault.Requests.Count / (double)n;
            vault.Requests.Clear();
            return elapsed;
        }

        // A fixed warm-up (3000 reads each, as before) ended with the JIT still compiling hundreds of methods a round on a busy
        // machine: tier-0 code was timed, and the candidate, with more methods, paid more for it. Warm until the JIT is quiet.
        Func<int, Task<TimeSpan>>[] workloads = [Bare, Lyndrix, BareParsed, Client, Store];
        var warmUp = await Measure.WarmUpUntilJitQuietAsync(workloads, operations: 500, limit: TimeSpan.FromSeconds(60));
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        var jitTime = System.Runtime.JitInfo.GetCompilationTime();
        var medians = await Measure.InterleavedMediansMicrosAsync(workloads, operations: 300, rounds: 21, warmUpOperations: 300);
        compiled = System.Runtime.JitInfo.GetCompiledMethodCount() - compiled;
        jitTime = System.Runtime.JitInfo.GetCompilationTime() - jitTime;
        var (baseline, lyndrix) = (medians[0], medians[1]);
        Measure.Report("GetSecret: module scope over Vault backend", baseline, lyndrix, 1.15, "us/op");
        Measure.Note("baseline: HttpClient GET /v1/lyndrix/data/plugins/<id> with X-Vault-Token, body read as bytes; both against the Vault API double on loopback.");
        Measure.Note($"HTTP requests per lyndrix read: {requestsPerRead:0.00} (the baseline makes exactly 1).");
        Measure.Note($"layers (us/op): raw GET {baseline:0.0}; raw GET + JSON parse {medians[2]:0.0}; VaultClient.ReadKvAsync {medians[3]:0.0}; " +
                     $"KV store {medians[4]:0.0}; ModuleContext.GetSecretAsync {lyndrix:0.0}.");
        Measure.Note($"warm-up: {warmUp.Rounds} rounds of 500 reads per workload in {warmUp.Elapsed.TotalSeconds:0.0} s, " +
                     (warmUp.Quiet ? "until the JIT went quiet" : "stopped at its limit with the JIT still compiling") +
                     $"; JIT during the measured rounds: {compiled} methods, {jitTime.TotalMilliseconds:0} ms " +
                     "(expected: the harness's once-a-round code and the collector's callbacks, not the read paths).");
    }
}
