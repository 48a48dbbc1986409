using Lyndrix.Benchmarks;

if (args is [ChannelFloor.ChildArgument, var mode, var workMicros])
{
    return await ChannelFloor.ServeAsync(mode, workMicros);
}

// Ratios against baselines measured in the same run; absolute numbers vary by machine.
var benchmarks = new (string Name, Func<Task> Run)[]
{
    ("bus", EventBusBenchmarks.RunAsync),
    ("plugins", PluginLoadBenchmarks.RunAsync),
    ("unload", PluginUnloadBenchmarks.RunAsync),
    ("secrets", SecretReadBenchmarks.RunAsync),
    ("embedded", EmbeddedStoreBenchmarks.RunAsync),
    ("kdf", KeyFileKdfBenchmarks.RunAsync),
    ("trust", TrustBenchmarks.RunAsync),
    ("isolation", IsolationBenchmarks.RunAsync),
    ("authme", AuthenticatedRequestBenchmarks.RunAsync),
    ("loginstorm", LoginStormBenchmarks.RunAsync),
    ("flood", BodyFloodBenchmarks.RunAsync),
    ("backup", BackupBenchmarks.RunAsync),
    ("scaleout", ScaleOutBenchmarks.RunAsync),
};

var only = args.Length > 0 ? args[0] : null;
if (only is not null && benchmarks.All(b => b.Name != only))
{
    Console.Error.WriteLine($"Unknown benchmark '{only}'. Choose one of {string.Join(", ", benchmarks.Select(b => b.Name))}, or none to run them all.");
    return 2;
}

Console.WriteLine($"Lyndrix benchmarks ({Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription})");
foreach (var (name, run) in benchmarks.Where(b => only is null || b.Name == only))
{
    Console.WriteLine($"== {name}");
    await run();
}

return 0;
