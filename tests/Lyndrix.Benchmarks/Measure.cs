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

    public static void Report(string name, double baselineNs, double candidateNs, double target, string unit = "ns/op")
    {
        var ratio = candidateNs / baselineNs;
        var verdict = ratio <= target ? "within target" : "OVER target";
        Console.WriteLine($"{name,-48} baseline {baselineNs,10:0.0} {unit}  lyndrix {candidateNs,10:0.0} {unit}  ratio {ratio,6:0.00}x  (target <= {target:0.##}x: {verdict})");
    }
}
