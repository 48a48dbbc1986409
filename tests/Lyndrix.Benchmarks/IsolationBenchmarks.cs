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
/// in-process queued delivery (reported); and the start of an isolated plugin (enable until active) vs starting a .NET
/// console app that does nothing until it exits (goal ≤ 1.5x).
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

        var (inProcessRead, isolatedRead) = await Measure.InterleavedMedianMicrosAsync(n => localCall(n, Reads), n => remoteCall(n, Reads), operations: 1, rounds: 9);
        Measure.Report("GetSecretAsync (Vault double): channel vs in-process", inProcessRead * 1000 / Reads, isolatedRead * 1000 / Reads, target: 1.3);

        var (inProcessEmit, isolatedEmit) = await Measure.InterleavedMedianMicrosAsync(n => localCall(n, 0), n => remoteCall(n, 0), operations: 500, rounds: 7);
        Measure.Report("emit -> handler -> emit round trip: channel vs in-process queued delivery", inProcessEmit * 1000, isolatedEmit * 1000, target: double.NaN);

        await using var starts = new RuntimeHarness(scratch.Sub("starts"), scratch.Sub("none3"), isolation: isolation);
        ProbePlugin.Install(Path.Combine(scratch.Path, "starts"), "bare", "bench.start");
        await starts.Runtime.StartAllAsync(CancellationToken.None);
        var bare = Built("BareConsole");
        var (console, plugin) = await Measure.InterleavedMedianMicrosAsync(
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
            async n =>
            {
                var total = TimeSpan.Zero;
                for (var i = 0; i < n; i++)
                {
                    await starts.Runtime.DisableAsync("bench.start", CancellationToken.None);
                    var start = Stopwatch.GetTimestamp();
                    var info = await starts.Runtime.EnableAsync("bench.start", CancellationToken.None);
                    total += Stopwatch.GetElapsedTime(start);
                    if (info.State != PluginState.Active)
                    {
                        throw new InvalidOperationException("The isolated probe did not start: " + info.Reason);
                    }
                }

                return total;
            },
            operations: 5, rounds: 5, warmUpOperations: 2);
        Measure.Report("start: isolated plugin (enable -> active) vs a .NET console app that does nothing", console * 1000, plugin * 1000, target: 1.5);
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
