using Lyndrix.Benchmarks;

// Ratios against baselines measured in the same run; absolute numbers vary by machine.
Console.WriteLine($"Lyndrix benchmarks ({Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription})");
var only = args.Length > 0 ? args[0] : null;
if (only is null or "bus")
{
    await EventBusBenchmarks.RunAsync();
}
