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
        Func<int, Task<TimeSpan>> baseline, Func<int, Task<TimeSpan>> candidate, int operations, int rounds = 7)
    {
        var warmUp = Math.Max(1, operations / 5);
        await baseline(warmUp);
        await candidate(warmUp);
        var b = new double[rounds];
        var c = new double[rounds];
        for (var r = 0; r < rounds; r++)
        {
            Settle();
            b[r] = (await baseline(operations)).TotalMicroseconds / operations;
            Settle();
            c[r] = (await candidate(operations)).TotalMicroseconds / operations;
        }

        Array.Sort(b);
        Array.Sort(c);
        return (b[rounds / 2], c[rounds / 2]);
    }

    /// <summary>Collects garbage (and runs finalizers, which finish unloading load contexts) outside the measured parts.</summary>
    public static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    public static void Report(string name, double baselineNs, double candidateNs, double target, string unit = "ns/op")
    {
        var ratio = candidateNs / baselineNs;
        var verdict = ratio <= target ? "within target" : "OVER target";
        Console.WriteLine($"{name,-48} baseline {baselineNs,10:0.0} {unit}  lyndrix {candidateNs,10:0.0} {unit}  ratio {ratio,6:0.00}x  (target <= {target:0.##}x: {verdict})");
    }

    /// <summary>A line of context under a result (what was measured, what was subtracted); indented so ratios stand out.</summary>
    public static void Note(string text) => Console.WriteLine("    " + text);
}
