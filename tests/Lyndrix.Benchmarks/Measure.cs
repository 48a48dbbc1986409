using System.Diagnostics;

namespace Lyndrix.Benchmarks;

/// <summary>Times a workload against a baseline in the same run: warm-up, then the median of several rounds.</summary>
internal static class Measure
{
    public static double MedianNanosPerOp(Action<int> work, int operations, int rounds = 7)
    {
        work(operations / 10); // warm-up: JIT and tiering
        var samples = new double[rounds];
        for (var r = 0; r < rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            work(operations);
            samples[r] = sw.Elapsed.TotalMilliseconds * 1_000_000 / operations;
        }

        Array.Sort(samples);
        return samples[rounds / 2];
    }

    public static async Task<double> MedianNanosPerOpAsync(Func<int, Task> work, int operations, int rounds = 7)
    {
        await work(operations / 10);
        var samples = new double[rounds];
        for (var r = 0; r < rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            await work(operations);
            samples[r] = sw.Elapsed.TotalMilliseconds * 1_000_000 / operations;
        }

        Array.Sort(samples);
        return samples[rounds / 2];
    }

    /// <summary>
    /// Runs baseline and candidate rounds alternately, so the background load of a shared machine hits both alike, and
    /// returns the median microseconds per operation of each. A round returns the time of its measured part only, which
    /// lets it keep set-up and clean-up (creating folders, disposing loaders, collecting garbage) out of the numbers.
    /// </summary>
    public static async Task<(double Baseline, double Candidate)> InterleavedMedianMicrosAsync(
        Func<int, Task<TimeSpan>> baseline, Func<int, Task<TimeSpan>> candidate, int operations, int rounds = 7, int? warmUpOperations = null)
    {
        var medians = await InterleavedMediansMicrosAsync([baseline, candidate], operations, rounds, warmUpOperations);
        return (medians[0], medians[1]);
    }

    /// <summary>The same for several workloads: one round of each in turn, then the next round.</summary>
    public static async Task<double[]> InterleavedMediansMicrosAsync(
        IReadOnlyList<Func<int, Task<TimeSpan>>> workloads, int operations, int rounds = 7, int? warmUpOperations = null)
    {
        // Tiered JIT promotes hot methods in the background after a delay; a short warm-up would time tier-0 code.
        var warmUp = warmUpOperations ?? Math.Max(1, operations / 5);
        foreach (var work in workloads)
        {
            await work(warmUp);
        }

        var samples = workloads.Select(_ => new double[rounds]).ToArray();
        for (var r = 0; r < rounds; r++)
        {
            for (var w = 0; w < workloads.Count; w++)
            {
                Settle();
                samples[w][r] = (await workloads[w](operations)).TotalMicroseconds / operations;
            }
        }

        return samples.Select(s =>
        {
            Array.Sort(s);
            return s[rounds / 2];
        }).ToArray();
    }

    /// <summary>
    /// Runs rounds of every workload until the JIT is done with them: <paramref name="quietRounds"/> rounds in a row that compile
    /// at most <paramref name="tolerance"/> methods, or <paramref name="limit"/>. Tiered compilation (tier 0, instrumented
    /// tier 0 for PGO, tier 1) promotes hot methods in the background after a delay that starts again whenever new code is
    /// compiled, so on a busy machine a fixed warm-up can end long before tier-1 code runs: a path with more methods then
    /// pays for it in the candidate's numbers. Returns how many rounds it took and whether the JIT went quiet.
    /// </summary>
    public static async Task<(int Rounds, TimeSpan Elapsed, bool Quiet)> WarmUpUntilJitQuietAsync(
        IReadOnlyList<Func<int, Task<TimeSpan>>> workloads, int operations, TimeSpan limit, int quietRounds = 3, int tolerance = 2)
    {
        var start = Stopwatch.GetTimestamp();
        var rounds = 0;
        var quiet = 0;
        while (quiet < quietRounds && Stopwatch.GetElapsedTime(start) < limit)
        {
            var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
            foreach (var work in workloads)
            {
                await work(operations);
            }

            rounds++;
            quiet = System.Runtime.JitInfo.GetCompiledMethodCount() - compiled <= tolerance ? quiet + 1 : 0;
        }

        return (rounds, Stopwatch.GetElapsedTime(start), quiet >= quietRounds);
    }

    /// <summary>Collects garbage (and runs finalizers, which finish unloading load contexts) outside the measured parts.</summary>
    public static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <param name="target">The ratio the candidate should stay within; <see cref="double.NaN"/> for a number that is only reported.</param>
    public static void Report(string name, double baselineNs, double candidateNs, double target, string unit = "ns/op")
    {
        var ratio = candidateNs / baselineNs;
        var verdict = double.IsNaN(target) ? "reported, no target" : ratio <= target ? $"target <= {target:0.##}x: within target" : $"target <= {target:0.##}x: OVER target";
        Console.WriteLine($"{name,-48} baseline {baselineNs,10:0.0} {unit}  lyndrix {candidateNs,10:0.0} {unit}  ratio {ratio,6:0.00}x  ({verdict})");
    }

    /// <summary>For measures where more is better (requests per second): the candidate must reach at least
    /// <paramref name="target"/> times the baseline (<see cref="double.NaN"/>: only reported).</summary>
    public static void ReportAtLeast(string name, double baseline, double candidate, double target, string unit)
    {
        var ratio = candidate / baseline;
        var verdict = double.IsNaN(target) ? "reported, no target" : ratio >= target ? $"target >= {target:0.##}x: within target" : $"target >= {target:0.##}x: UNDER target";
        Console.WriteLine($"{name,-48} baseline {baseline,10:0.0} {unit}  lyndrix {candidate,10:0.0} {unit}  ratio {ratio,6:0.00}x  ({verdict})");
    }

    /// <summary>A line of context under a result (what was measured, what was subtracted); indented so ratios stand out.</summary>
    public static void Note(string text) => Console.WriteLine("    " + text);
}
