using System.Diagnostics;
using System.Security.Cryptography;
using Lyndrix.Core.Modules;
using Lyndrix.Core.Modules.Trust;
using Lyndrix.Core.Tests.Secrets.Support;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Benchmarks;

/// <summary>
/// What trust costs: verifying a pinned 5 MB plugin folder (integrity walk, hashing, reading the pin from the catalog,
/// comparing) vs hashing the same files with .NET's SHA256 directly; and booting 200 pinned plugins vs 200 with trust 'any'.
/// </summary>
internal static class TrustBenchmarks
{
    private const int BootPlugins = 200;

    public static async Task RunAsync()
    {
        using var scratch = new TempDirectory("lyndrix-bench-trust");
        await VerifyPinnedFolderAsync(scratch);
        await BootPinnedAsync(scratch);
    }

    private static SecretStorePluginTrustCatalog NewCatalog()
    {
        var store = new InMemoryKeyValueStore();
        return new SecretStorePluginTrustCatalog(() => store, TimeProvider.System);
    }

    private static async Task VerifyPinnedFolderAsync(TempDirectory scratch)
    {
        var folder = ProbePlugin.Install(scratch.Sub("pinned"), "big", "bench.trust.big");
        // Five 1 MiB data files beside the plugin: a plugin with its dependencies is about this size.
        var random = new Random(42);
        for (var i = 0; i < 5; i++)
        {
            var bytes = new byte[1024 * 1024];
            random.NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(folder, $"data{i}.bin"), bytes);
        }

        var descriptor = PluginManifestReader.Read(folder, PluginOrigin.PluginsDirectory);
        var catalog = NewCatalog();
        await catalog.SetAsync(PluginFolderDigest.Compute(folder, "bench.trust.big", "1.0.0"), CancellationToken.None);
        var verifier = new PluginTrustVerifier(new PluginTrustSettings { Mode = PluginTrustMode.Pinned, TrustedKeys = [] }, catalog);
        var size = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

        var (baseline, candidate) = await Measure.InterleavedMedianMicrosAsync(
            ops =>
            {
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < ops; i++)
                {
                    foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
                    {
                        using var stream = File.OpenRead(file);
                        _ = SHA256.HashData(stream);
                    }
                }

                return Task.FromResult(Stopwatch.GetElapsedTime(start));
            },
            async ops =>
            {
                var start = Stopwatch.GetTimestamp();
                for (var i = 0; i < ops; i++)
                {
                    var verdict = await verifier.VerifyAsync(descriptor, CancellationToken.None);
                    if (!verdict.Allowed)
                    {
                        throw new InvalidOperationException(verdict.Reason);
                    }
                }

                return Stopwatch.GetElapsedTime(start);
            },
            operations: 10, rounds: 9);
        Measure.Report($"verify a pinned {size / (1024.0 * 1024):0.0} MiB folder", baseline, candidate, 1.5, "us/op");
        Measure.Note("baseline: SHA256.HashData over every file of the folder; lyndrix: PluginTrustVerifier.VerifyAsync (links check, hashes, pin read, compare).");
    }

    private static async Task BootPinnedAsync(TempDirectory scratch)
    {
        var dir = scratch.Sub("boot");
        var builtIn = scratch.Sub("boot-modules");
        var catalog = NewCatalog();
        for (var i = 0; i < BootPlugins; i++)
        {
            var folder = ProbePlugin.Install(dir, $"p{i:000}", $"bench.trust.p{i:000}");
            await catalog.SetAsync(PluginFolderDigest.Compute(folder, $"bench.trust.p{i:000}", "1.0.0"), CancellationToken.None);
        }

        var pinned = new PluginTrustVerifier(new PluginTrustSettings { Mode = PluginTrustMode.Pinned, TrustedKeys = [] }, catalog);

        async Task<TimeSpan> Boot(PluginTrustVerifier? trust)
        {
            var host = new RuntimeHarness(dir, builtIn, trust: trust);
            var start = Stopwatch.GetTimestamp();
            var summary = await host.Runtime.StartAllAsync(CancellationToken.None);
            var elapsed = Stopwatch.GetElapsedTime(start);
            await host.DisposeAsync();
            if (summary.Active != BootPlugins)
            {
                throw new InvalidOperationException($"{summary.Active} of {BootPlugins} plugins active");
            }

            return elapsed;
        }

        var (any, withPins) = await Measure.InterleavedMedianMicrosAsync(_ => Boot(null), _ => Boot(pinned), operations: 1, rounds: 5, warmUpOperations: 1);
        Measure.Report($"boot {BootPlugins} plugins, pinned vs trust 'any'", any, withPins, 1.2, "us/boot");
    }
}
