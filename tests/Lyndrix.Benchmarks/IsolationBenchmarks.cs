using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Configuration;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Modules.Isolation;
using Lyndrix.Core.Secrets;
using Lyndrix.Core.Secrets.KeyFile;
using Lyndrix.Core.Secrets.Scopes;
using Lyndrix.Core.Secrets.Vault;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk.Events;
using Lyndrix.VaultDouble;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Benchmarks;

/// <summary>
/// What process isolation costs, the same Probe binary in both modes: <c>GetSecretAsync</c> through the channel vs
/// in-process, both against the Vault double (goal ≤ 1.3x); an emit → handler → emit round trip across the channel vs
/// in-process queued delivery (reported); and the start of an isolated plugin (enable until active), with a spare process
/// ready (goal ≤ 1.5x) and without (reported), vs starting a .NET console app that does nothing until it exits.
/// </summary>
internal static class IsolationBenchmarks
{
    private const string Id = "bench.iso";

    public static async Task RunAsync()
    {
        var (vault, token) = await BenchVault.StartAsync();
        await using var vaultLifetime = vault;
        await using var backend = new VaultSecretBackend(new VaultSettings { Url = vault.BaseAddress, Token = token },
            TimeProvider.System, NullLogger<VaultSecretBackend>.Instance);
        await backend.OpenAsync(null, CancellationToken.None);
        using var scratch = new TempDirectory("lyndrix-bench-isolation");
        var scopes = new ModuleSecretScopeFactory(
            backend, new SecretStoreSettings { SecurityDir = scratch.Sub("security"), IsDev = true, Argon = Argon2Parameters.Default }, TimeProvider.System, NullLoggerFactory.Instance);

        var isolation = new IsolationSettings
        {
            DefaultMode = IsolationSettings.Process,
            Command = ["dotnet", Built("HostExecutable")],
            WorkRoot = scratch.Sub("work"),
            Config = EnvironmentConfigSource.FromValues(new Dictionary<string, string>()),
        };
        var settings = new Dictionary<string, string> { ["secret_key"] = "api_key", ["secret_value"] = "s3cr3t-value", ["subscribe"] = "bench:go", ["echo_topic"] = Id + ":done" };
        ProbePlugin.Install(scratch.Sub("inprocess"), "probe", Id, settings, subscribe: ["bench:go"], emit: [Id + ":done"]);
        ProbePlugin.Install(scratch.Sub("process"), "probe", Id, settings, subscribe: ["bench:go"], emit: [Id + ":done"]);
        await using var local = new RuntimeHarness(Path.Combine(scratch.Path, "inprocess"), scratch.Sub("none"), secrets: scopes);
        await using var remote = new RuntimeHarness(Path.Combine(scratch.Path, "process"), scratch.Sub("none2"), secrets: scopes, isolation: isolation);
        foreach (var harness in new[] { local, remote })
        {
            vault.Requests.Clear();
            var summary = await harness.Runtime.StartAllAsync(CancellationToken.None);
            if (summary.Active != 1)
            {
                throw new InvalidOperationException("The probe did not start: " + harness.Runtime.Get(Id)?.Reason);
            }

            Measure.Note($"setup: {string.Join(", ", vault.Requests.All.Select(r => r.Method + " " + r.Path))}");
        }

        if (remote.Runtime.Get(Id)!.ProcessId is null || local.Runtime.Get(Id)!.ProcessId is not null)
        {
            throw new InvalidOperationException("The two probes do not run in the modes being compared.");
        }

        var localCall = RoundTrip(local);
        var remoteCall = RoundTrip(remote);
        const int Reads = 400;
        foreach (var (mode, call) in new[] { ("in-process", localCall), ("isolated", remoteCall) })
        {
            vault.Requests.Clear();
            await call(1, Reads);
            Measure.Note($"{mode}: {vault.Requests.Count} Vault request(s) for {Reads} reads");
        }

        // Warm-up long enough for tiered JIT to promote the read path on both sides (a short one timed tier-0 code in-process
        // and flattered the ratio: 1.34x then, about 3x once both sides run optimised code).
        var (inProcessRead, isolatedRead) = await Measure.InterleavedMedianMicrosAsync(n => localCall(n, Reads), n => remoteCall(n, Reads), operations: 1, rounds: 9, warmUpOperations: 10);
        Measure.Report("GetSecretAsync (Vault double): channel vs in-process", inProcessRead * 1000 / Reads, isolatedRead * 1000 / Reads, target: 1.3);

        var (_, pipe, jsonRpc) = await ChannelFloor.MeasureAsync(0);
        Measure.Report("channel floor: a JSON-RPC call over the channel's pipes vs a bare pipe round trip (two processes)", pipe * 1000, jsonRpc * 1000, target: double.NaN);
        Measure.Note($"the channel adds about {jsonRpc - pipe:0} us per call on this machine before any work; the in-process read above costs {inProcessRead / Reads:0} us.");

        // The same two wires when the callee works as long as an in-process read takes before it answers (so the caller's
        // threads fall idle between calls, as an isolated plugin's do while the host reads): what any wire costs on this
        // machine against doing that work in the caller's own process, and so how near 1.3x a wire could come at all.
        var (here, pipeWorking, jsonRpcWorking) = await ChannelFloor.MeasureAsync(inProcessRead / Reads);
        Measure.Report($"a call whose callee works {inProcessRead / Reads:0} us: bare pipe round trip vs the work done in-process", here * 1000, pipeWorking * 1000, target: double.NaN);
        Measure.Report($"a call whose callee works {inProcessRead / Reads:0} us: JSON-RPC (the channel's wire) vs the work done in-process", here * 1000, jsonRpcWorking * 1000, target: double.NaN);

        var (inProcessEmit, isolatedEmit) = await Measure.InterleavedMedianMicrosAsync(n => localCall(n, 0), n => remoteCall(n, 0), operations: 500, rounds: 7);
        Measure.Report("emit -> handler -> emit round trip: channel vs in-process queued delivery", inProcessEmit * 1000, isolatedEmit * 1000, target: double.NaN);

        // Starts: with a spare process ready (the default, LYNDRIX_PLUGIN_SPARES=1; each round waits, untimed, until the
        // next spare is ready) and without one (LYNDRIX_PLUGIN_SPARES=0: the plugin starts its own process).
        await using var warm = new RuntimeHarness(scratch.Sub("warm"), scratch.Sub("none3"), isolation: isolation);
        await using var cold = new RuntimeHarness(scratch.Sub("cold"), scratch.Sub("none4"), isolation: isolation with { Spares = 0 });
        foreach (var (harness, folder) in new[] { (warm, "warm"), (cold, "cold") })
        {
            ProbePlugin.Install(Path.Combine(scratch.Path, folder), "bare", "bench.start");
            await harness.Runtime.StartAllAsync(CancellationToken.None);
        }

        var bare = Built("BareConsole");
        var medians = await Measure.InterleavedMediansMicrosAsync(
            [
                async n =>
                {
                    var total = TimeSpan.Zero;
                    for (var i = 0; i < n; i++)
                    {
                        var start = Stopwatch.GetTimestamp();
                        using var process = Process.Start(new ProcessStartInfo("dotnet", [bare]) { UseShellExecute = false })!;
                        await process.WaitForExitAsync();
                        total += Stopwatch.GetElapsedTime(start);
                    }

                    return total;
                },
                n => TimeStarts(warm, n, waitForSpare: true),
                n => TimeStarts(cold, n, waitForSpare: false),
            ],
            operations: 5, rounds: 5, warmUpOperations: 2);
        Measure.Report("start: isolated plugin with a spare ready (enable -> active) vs a .NET console app that does nothing", medians[0] * 1000, medians[1] * 1000, target: 1.5);
        Measure.Report("start: isolated plugin without a spare (LYNDRIX_PLUGIN_SPARES=0) vs the same console app", medians[0] * 1000, medians[2] * 1000, target: double.NaN);
    }

    /// <summary>Disables and enables the isolated probe n times, timing each enable until active.</summary>
    private static async Task<TimeSpan> TimeStarts(RuntimeHarness harness, int n, bool waitForSpare)
    {
        var total = TimeSpan.Zero;
        for (var i = 0; i < n; i++)
        {
            await harness.Runtime.DisableAsync("bench.start", CancellationToken.None);
            var waited = Stopwatch.StartNew();
            while (waitForSpare && harness.Runtime.SpareProcessIds().Count == 0)
            {
                if (waited.Elapsed > TimeSpan.FromSeconds(30))
                {
                    throw new InvalidOperationException("No spare plugin process became ready within 30 s.");
                }

                await Task.Delay(10);
            }

            var start = Stopwatch.GetTimestamp();
            var info = await harness.Runtime.EnableAsync("bench.start", CancellationToken.None);
            total += Stopwatch.GetElapsedTime(start);
            if (info.State != PluginState.Active)
            {
                throw new InvalidOperationException("The isolated probe did not start: " + info.Reason);
            }
        }

        return total;
    }

    /// <summary>Emits bench:go (asking for <c>reads</c> secret reads first) and waits for the probe's answer, n times.</summary>
    private static Func<int, int, Task<TimeSpan>> RoundTrip(RuntimeHarness harness)
    {
        var answers = new ConcurrentQueue<TaskCompletionSource>();
        harness.Bus.Subscribe(Id + ":done", "bench", _ =>
        {
            if (answers.TryDequeue(out var answer))
            {
                answer.TrySetResult();
            }
        });
        return async (n, reads) =>
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < n; i++)
            {
                var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                answers.Enqueue(answer);
                harness.Bus.Emit("bench:go", EventPayload.Create(("reads", (long)reads)), "bench");
                await answer.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }

            return Stopwatch.GetElapsedTime(start);
        };
    }

    private static string Built(string key) =>
        typeof(IsolationBenchmarks).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value is { } path && File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{key} is not built; run the benchmarks with 'dotnet pwsh build.ps1 bench', which builds it.");
}
