using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Tests.Modules.Fakes;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Benchmarks;

/// <summary>
/// 100 load/run/unload cycles of a plugin that subscribes, writes a secret and registers an auth provider: how many load
/// contexts are still alive afterwards, and whether the managed heap stays flat. The bare McMaster host doing the same
/// (with plain collections instead of the bus, secret store and registry) is the baseline for the cycle time.
/// </summary>
internal static class PluginUnloadBenchmarks
{
    private const string Id = "bench.unload";
    private const int Cycles = 100;
    private const int WarmUpCycles = 10;
    private const string ProviderId = "bench-sso";

    private static readonly Dictionary<string, string> Busy = new(StringComparer.Ordinal)
    {
        ["subscribe"] = "demo:ping",
        ["echo_topic"] = "probe:echo",
        ["provider_id"] = ProviderId,
        ["secret_key"] = "token",
        ["secret_value"] = "abc",
    };

    public static async Task RunAsync()
    {
        using var scratch = new TempDirectory("lyndrix-bench-unload");
        var pluginsDir = scratch.Sub("plugins");
        var folder = ProbePlugin.Install(pluginsDir, "probe", Id, Busy, subscribe: ["demo:ping"], emit: ["probe:echo"]);

        var bare = await BareCyclesAsync(folder);
        var lyndrix = await RuntimeCyclesAsync(pluginsDir, scratch.Sub("modules"));

        Print("bare McMaster host", bare);
        Print("lyndrix PluginRuntime (Enable/Unload)", lyndrix);
        Measure.Report($"load/run/unload cycle, {Cycles} cycles", bare.MicrosPerCycle, lyndrix.MicrosPerCycle, double.NaN, "us/op");
        Measure.Note("each cycle waits until its load context is collected (LoadContextCollector's GC loop on both sides). DESIGN sets no time target for unload " +
                     "(the 1.3x load target is the 'plugins' benchmark's); Lyndrix's unload also clears the framework's type caches (System.Text.Json, " +
                     "TypeDescriptor), which is what lets plugins using Newtonsoft.Json and friends unload at all.");
        var flat = lyndrix.Alive == 0 && lyndrix.GrowthBytes < 1024 * 1024;
        Console.WriteLine($"{"unload: contexts alive / heap growth",-48} {lyndrix.Alive} alive, {lyndrix.GrowthBytes / 1024.0:0.0} KiB over {Cycles - WarmUpCycles} cycles  (target 0 alive, memory flat (< 1 MiB): {(flat ? "within target" : "OVER target")})");
    }

    private static void Print(string who, CycleResult r) =>
        Console.WriteLine(
            $"{"  " + who,-48} contexts alive after GC loop {r.Alive}/{r.Tracked}; reported unloaded {r.ReportedUnloaded}/{Cycles}; " +
            $"heap after cycle {WarmUpCycles} {r.HeapBefore / 1024.0:0} KiB, after cycle {Cycles} {r.HeapAfter / 1024.0:0} KiB ({r.GrowthBytes / 1024.0:+0.0;-0.0} KiB); " +
            $"unload incl. collection {r.UnloadMicrosPerCycle / 1000:0.0} ms of {r.MicrosPerCycle / 1000:0.0} ms per cycle");

    private static async Task<CycleResult> RuntimeCyclesAsync(string pluginsDir, string builtInDir)
    {
        await using var host = new RuntimeHarness(pluginsDir, builtInDir, unloadTimeout: TimeSpan.FromSeconds(2));
        using var echoes = new SemaphoreSlim(0);
        host.Bus.Subscribe("probe:echo", "bench", _ => echoes.Release());
        var summary = await host.Runtime.StartAllAsync(CancellationToken.None);
        if (summary.Active != 1 || !host.Providers.All.ContainsKey(ProviderId) || ((InMemoryModuleSecretScopeFactory)host.Secrets).Read("plugins/" + Id).GetValueOrDefault("token") != "abc")
        {
            throw new InvalidOperationException($"The probe did not set up as the benchmark needs (active {summary.Active}, reason: {host.Runtime.Get(Id)?.Reason}).");
        }

        await host.Runtime.UnloadAsync(Id, CancellationToken.None);
        return await MeasureCyclesAsync(async (i, tracked) =>
        {
            var info = await host.Runtime.EnableAsync(Id, CancellationToken.None);
            if (info.State != PluginState.Active || !host.Providers.All.ContainsKey(ProviderId))
            {
                throw new InvalidOperationException($"Cycle {i}: the probe is {info.State} ({info.Reason}).");
            }

            TrackProbeContexts(tracked);
            host.Bus.Emit("demo:ping");
            if (!await echoes.WaitAsync(TimeSpan.FromSeconds(5)))
            {
                throw new TimeoutException($"Cycle {i}: the probe's subscription never answered demo:ping.");
            }

            var unloadStart = Stopwatch.GetTimestamp();
            var result = await host.Runtime.UnloadAsync(Id, CancellationToken.None);
            return (unloadStart, result.Unloaded);
        });
    }

    private static async Task<CycleResult> BareCyclesAsync(string folder)
    {
        var manifest = PluginManifestReader.Read(folder, PluginOrigin.PluginsDirectory).Manifest!;
        var settings = Busy.ToDictionary(p => p.Key, p => (string?)p.Value);
        var entryPath = Path.Combine(folder, manifest.EntryAssembly!);
        return await MeasureCyclesAsync(async (_, tracked) =>
        {
            var (context, disposeStart) = await BareCycleAsync(entryPath, manifest, settings);
            tracked.Add(context);
            var (collected, _) = await LoadContextCollector.WaitAsync(context, TimeSpan.FromSeconds(2), CancellationToken.None);
            return (disposeStart, collected);
        });
    }

    /// <summary>Runs the cycles with the same bookkeeping on both sides: warm-up cycles are not timed, the heap is measured
    /// after the warm-up and at the end, and every tracked load context is checked afterwards. A cycle returns when its
    /// unload started and whether it reported the context gone.</summary>
    private static async Task<CycleResult> MeasureCyclesAsync(Func<int, List<WeakReference>, Task<(long UnloadStart, bool Unloaded)>> cycle)
    {
        var tracked = new List<WeakReference>();
        var reported = 0;
        long heapBefore = 0;
        var timed = TimeSpan.Zero;
        var unloading = TimeSpan.Zero;
        for (var i = 1; i <= Cycles; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var (unloadStart, unloaded) = await cycle(i, tracked);
            reported += unloaded ? 1 : 0;
            if (i > WarmUpCycles)
            {
                timed += Stopwatch.GetElapsedTime(start);
                unloading += Stopwatch.GetElapsedTime(unloadStart);
            }
            else if (i == WarmUpCycles)
            {
                // After warm-up: JIT, caches and pools have settled.
                heapBefore = GC.GetTotalMemory(forceFullCollection: true);
            }
        }

        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        var alive = await CountAliveAsync(tracked);
        return new CycleResult(tracked.Count, alive, reported, heapBefore, heapAfter, Per(timed), Per(unloading));
    }

    private static double Per(TimeSpan total) => total.TotalMicroseconds / (Cycles - WarmUpCycles);

    /// <summary>Load, set up, deliver one event, tear down, drop every reference, dispose the loader. Its own method, so
    /// nothing of the plugin stays in the caller's locals.</summary>
    private static async Task<(WeakReference Context, long UnloadStart)> BareCycleAsync(string entryPath, ModuleManifest manifest, IReadOnlyDictionary<string, string?> settings)
    {
        var loader = PluginLoader.CreateFromAssemblyFile(entryPath, isUnloadable: true, [typeof(ILyndrixModule), typeof(ILogger)]);
        var type = loader.LoadDefaultAssembly().GetExportedTypes()
            .First(t => t is { IsClass: true, IsAbstract: false } && typeof(ILyndrixModule).IsAssignableFrom(t));
        var module = (ILyndrixModule)Activator.CreateInstance(type)!;
        var context = new BareModuleContext(manifest, settings);
        await module.SetupAsync(context, CancellationToken.None);
        if (context.Registrations != 2)
        {
            throw new InvalidOperationException("The probe did not subscribe and register its provider in the bare host.");
        }

        await context.DeliverAsync("demo:ping", CancellationToken.None);
        var unloadStart = Stopwatch.GetTimestamp();
        await module.TeardownAsync(CancellationToken.None);
        context.Clear();
        var weak = new WeakReference(loader.LoadContext, trackResurrection: true);
        loader.Dispose();
        return (weak, unloadStart);
    }

    /// <summary>Remembers (weakly) every load context holding the probe that is not tracked yet.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void TrackProbeContexts(List<WeakReference> tracked)
    {
        foreach (var context in AssemblyLoadContext.All)
        {
            if (context != AssemblyLoadContext.Default && context.Assemblies.Any(a => a.GetName().Name == "Probe") &&
                !tracked.Any(w => ReferenceEquals(w.Target, context)))
            {
                tracked.Add(new WeakReference(context, trackResurrection: true));
            }
        }
    }

    /// <summary>Collects until every tracked context is gone or 5 s have passed; returns how many are still alive.</summary>
    private static async Task<int> CountAliveAsync(List<WeakReference> tracked)
    {
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 5;
        while (true)
        {
            Measure.Settle();
            var alive = tracked.Count(w => w.IsAlive);
            if (alive == 0 || Stopwatch.GetTimestamp() > deadline)
            {
                return alive;
            }

            await Task.Delay(50);
        }
    }

    private sealed record CycleResult(int Tracked, int Alive, int ReportedUnloaded, long HeapBefore, long HeapAfter, double MicrosPerCycle, double UnloadMicrosPerCycle)
    {
        public long GrowthBytes => HeapAfter - HeapBefore;
    }
}
