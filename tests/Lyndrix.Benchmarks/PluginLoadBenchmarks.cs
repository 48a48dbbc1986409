using Lyndrix.Core.Configuration;
using Lyndrix.Core.Tests.Modules.Fakes;
using System.Diagnostics;
using Lyndrix.Core.Auth;
using Lyndrix.Core.Events;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Tests.Support;
using Lyndrix.Sdk;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lyndrix.Benchmarks;

/// <summary>
/// Loading and setting up a plugin through the runtime vs the bare McMaster path on the same folder, and the boot cost per
/// plugin as the number of plugins grows.
/// </summary>
internal static class PluginLoadBenchmarks
{
    private const string Id = "bench.probe";
    private static readonly int[] BootSizes = [10, 50, 100, 200];

    public static async Task RunAsync()
    {
        using var scratch = new TempDirectory("lyndrix-bench-plugins");
        var pluginsDir = scratch.Sub("plugins");
        var builtInDir = scratch.Sub("modules");
        var folder = ProbePlugin.Install(pluginsDir, "probe", Id);

        await LoadOneAsync(folder);
        await RuntimeStartOneAsync(folder, pluginsDir, builtInDir);
        await BootScalingAsync(scratch);
    }

    /// <summary>
    /// One plugin: the runtime's per-plugin path (what <c>PluginRuntime.ActivateAsync</c> does: manifest read and validation,
    /// shared-assembly folder check, McMaster loader with the shared types, type-identity check, entry-type search, module
    /// settings, <c>ModuleContext</c>, setup on the thread pool under the setup timeout) vs the bare McMaster path.
    /// </summary>
    private static async Task LoadOneAsync(string folder)
    {
        var manifest = PluginManifestReader.Read(folder, PluginOrigin.PluginsDirectory).Manifest
                       ?? throw new InvalidOperationException("The benchmark's probe manifest is invalid.");
        await using var bus = new EventBus(NullLogger<EventBus>.Instance, TimeProvider.System);
        await using var tasks = new TaskTracker(NullLogger<TaskTracker>.Instance);
        var providers = new AuthProviderRegistry();
        var secrets = new InMemoryModuleSecretScopeFactory();
        var config = EnvironmentConfigSource.FromValues(new Dictionary<string, string>());
        var setupTimeout = TimeSpan.FromSeconds(30);

        async Task<TimeSpan> Lyndrix(int n)
        {
            var elapsed = TimeSpan.Zero;
            for (var i = 0; i < n; i++)
            {
                var start = Stopwatch.GetTimestamp();
                var descriptor = PluginManifestReader.Read(folder, PluginOrigin.PluginsDirectory);
                var code = PluginCodeLoader.Load(descriptor, SharedAssemblyPolicy.Host);
                var module = code.CreateModule();
                var settings = ModuleSettings.Resolve(descriptor.Manifest!, config, []);
                var context = new ModuleContextFactory(bus, tasks, secrets, providers, NullLoggerFactory.Instance).Create(descriptor.Manifest!, settings);
                using (var setupCancellation = CancellationTokenSource.CreateLinkedTokenSource(CancellationToken.None, context.Stopping))
                {
                    await Task.Run(() => module.SetupAsync(context, setupCancellation.Token), CancellationToken.None).WaitAsync(setupTimeout, CancellationToken.None);
                }

                elapsed += Stopwatch.GetElapsedTime(start);

                // The runtime's clean-up and unload, outside the measured part (the baseline's unload is outside too).
                context.Close();
                bus.RemoveOwner(Id);
                await tasks.CancelOwnerAsync(Id, TimeSpan.FromSeconds(5));
                providers.RemoveOwner(Id);
                code.Unload();
            }

            return elapsed;
        }

        var entryPath = Path.Combine(folder, manifest.EntryAssembly!);
        var noSettings = new Dictionary<string, string?>();
        Type[] sharedTypes = [typeof(ILyndrixModule), typeof(ILogger)];
        async Task<TimeSpan> Bare(int n)
        {
            var elapsed = TimeSpan.Zero;
            for (var i = 0; i < n; i++)
            {
                var start = Stopwatch.GetTimestamp();
                var loader = PluginLoader.CreateFromAssemblyFile(entryPath, isUnloadable: true, sharedTypes);
                var assembly = loader.LoadDefaultAssembly();

                // A bare host knows the contract, not the class: the usual McMaster sample scan for the implementing type.
                var type = assembly.GetExportedTypes().First(t => t is { IsClass: true, IsAbstract: false } && typeof(ILyndrixModule).IsAssignableFrom(t));
                var module = (ILyndrixModule)Activator.CreateInstance(type)!;
                await module.SetupAsync(new BareModuleContext(manifest, noSettings), CancellationToken.None);
                elapsed += Stopwatch.GetElapsedTime(start);
                loader.Dispose();
            }

            return elapsed;
        }

        var (baseline, lyndrix) = await Measure.InterleavedMedianMicrosAsync(Bare, Lyndrix, operations: 15, rounds: 15);
        Measure.Report("load + set up 1 plugin (per-plugin path)", baseline, lyndrix, 1.3, "us/op");
        Measure.Note("lyndrix: manifest validation, shared-assembly checks, McMaster loader, type identity, ModuleContext, setup via Task.Run + timeout;");
        Measure.Note("baseline: PluginLoader.CreateFromAssemblyFile(isUnloadable, sharedTypes) + LoadDefaultAssembly + type scan + Activator + SetupAsync.");
    }

    /// <summary>The same comparison through the whole runtime: a fresh <c>PluginRuntime</c> over a folder with one plugin,
    /// timing <c>StartAllAsync</c> (discovery, state records, dependency plan, activation, state events).</summary>
    private static async Task RuntimeStartOneAsync(string folder, string pluginsDir, string builtInDir)
    {
        var manifest = PluginManifestReader.Read(folder, PluginOrigin.PluginsDirectory).Manifest!;
        var entryPath = Path.Combine(folder, manifest.EntryAssembly!);
        var noSettings = new Dictionary<string, string?>();
        Type[] sharedTypes = [typeof(ILyndrixModule), typeof(ILogger)];

        async Task<TimeSpan> Lyndrix(int n)
        {
            var elapsed = TimeSpan.Zero;
            for (var i = 0; i < n; i++)
            {
                var host = new RuntimeHarness(pluginsDir, builtInDir);
                var start = Stopwatch.GetTimestamp();
                var summary = await host.Runtime.StartAllAsync(CancellationToken.None);
                elapsed += Stopwatch.GetElapsedTime(start);
                ExpectActive(summary.Active, 1, host.Runtime);
                await host.DisposeAsync();
            }

            return elapsed;
        }

        async Task<TimeSpan> Bare(int n)
        {
            var elapsed = TimeSpan.Zero;
            for (var i = 0; i < n; i++)
            {
                var start = Stopwatch.GetTimestamp();
                var loader = PluginLoader.CreateFromAssemblyFile(entryPath, isUnloadable: true, sharedTypes);
                var type = loader.LoadDefaultAssembly().GetExportedTypes()
                    .First(t => t is { IsClass: true, IsAbstract: false } && typeof(ILyndrixModule).IsAssignableFrom(t));
                var module = (ILyndrixModule)Activator.CreateInstance(type)!;
                await module.SetupAsync(new BareModuleContext(manifest, noSettings), CancellationToken.None);
                elapsed += Stopwatch.GetElapsedTime(start);
                loader.Dispose();
            }

            return elapsed;
        }

        var (baseline, lyndrix) = await Measure.InterleavedMedianMicrosAsync(Bare, Lyndrix, operations: 15, rounds: 15);
        Measure.Report("start 1 plugin (PluginRuntime.StartAllAsync)", baseline, lyndrix, 1.3, "us/op");
    }

    /// <summary>Boot with 10 to 200 copies of one small plugin (distinct ids): <c>StartAllAsync</c> time per plugin.</summary>
    private static async Task BootScalingAsync(TempDirectory scratch)
    {
        var builtInDir = scratch.Sub("boot-modules");
        var dirs = new Dictionary<int, string>();
        foreach (var size in BootSizes)
        {
            var dir = scratch.Sub($"boot-{size}");
            for (var i = 0; i < size; i++)
            {
                ProbePlugin.Install(dir, $"p{i:000}", $"bench.boot.p{i:000}");
            }

            dirs[size] = dir;
        }

        async Task<double> BootMicros(int size)
        {
            var host = new RuntimeHarness(dirs[size], builtInDir);
            var start = Stopwatch.GetTimestamp();
            var summary = await host.Runtime.StartAllAsync(CancellationToken.None);
            var elapsed = Stopwatch.GetElapsedTime(start);
            ExpectActive(summary.Active, size, host.Runtime);
            await host.DisposeAsync();
            return elapsed.TotalMicroseconds;
        }

        await BootMicros(BootSizes[0]); // warm-up
        const int rounds = 5;
        var samples = BootSizes.ToDictionary(s => s, _ => new List<double>());
        for (var r = 0; r < rounds; r++)
        {
            // Sizes alternate within a round, so background load on a shared machine spreads over all of them.
            foreach (var size in BootSizes)
            {
                Measure.Settle();
                samples[size].Add(await BootMicros(size));
            }
        }

        var perPlugin = new Dictionary<int, double>();
        foreach (var size in BootSizes)
        {
            var sorted = samples[size].Order().ToList();
            var median = sorted[sorted.Count / 2];
            perPlugin[size] = median / size;
            Console.WriteLine($"{$"boot with {size} plugins (StartAllAsync)",-48} total {median / 1000,10:0.0} ms  per plugin {perPlugin[size],10:0.0} us");
        }

        Measure.Report($"boot cost per plugin, {BootSizes[^1]} vs {BootSizes[0]} plugins", perPlugin[BootSizes[0]], perPlugin[BootSizes[^1]], 1.2, "us/plugin");
        Measure.Note($"baseline here is the per-plugin cost at {BootSizes[0]} plugins in the same run; flat means a ratio near 1.");
    }

    private static void ExpectActive(int active, int expected, PluginRuntime runtime)
    {
        if (active != expected)
        {
            var reasons = string.Join("; ", runtime.List().Where(p => p.State != PluginState.Active).Take(3).Select(p => $"{p.Id}: {p.State} {p.Reason}"));
            throw new InvalidOperationException($"Only {active} of {expected} plugins became active, so the timing would be meaningless: {reasons}");
        }
    }
}
