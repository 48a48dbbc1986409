using System.Diagnostics;
using System.Text;
using Isopoh.Cryptography.Argon2;

namespace Lyndrix.Benchmarks;

/// <summary>
/// The key-file KDF (Argon2id t=3, m=65536 KiB, p=4, 32-byte key) vs the reference C implementation: the <c>argon2</c>
/// command-line tool of Debian's <c>argon2</c> package, at the same parameters. The tool is timed as a process, so the
/// cost of starting a process is measured separately (the same tool at trivial parameters) and subtracted.
/// </summary>
internal static class KeyFileKdfBenchmarks
{
    private const string Password = "pw";
    private const string Salt = "saltsaltsaltsalt";
    private const int TimeCost = 3;
    private const int MemoryKib = 65536;
    private const int Parallelism = 4;
    private const int Rounds = 5;

    public static async Task RunAsync()
    {
        var tool = FindOnPath("argon2");
        if (tool is null)
        {
            Console.WriteLine($"{"key-file KDF vs reference C argon2",-48} SKIPPED: the argon2 tool is not installed. Install it with 'apt-get install argon2' (Debian/Ubuntu) and run again.");
            return;
        }

        var salt = Encoding.UTF8.GetBytes(Salt);
        var ours = Convert.ToHexStringLower(Derive(salt));
        var theirs = await RunToolAsync(tool, ["-id", "-t", $"{TimeCost}", "-m", $"{Log2(MemoryKib)}", "-p", $"{Parallelism}", "-l", "32", "-r"]);
        if (theirs.Output != ours)
        {
            throw new InvalidOperationException($"The KDF and the reference argon2 disagree ({ours} vs {theirs.Output}): the comparison would be meaningless.");
        }

        // Interleaved rounds, so background load on a shared machine hits all three alike.
        var managed = new List<double>();
        var reference = new List<double>();
        var startup = new List<double>();
        for (var r = 0; r < Rounds; r++)
        {
            var start = Stopwatch.GetTimestamp();
            _ = Derive(salt);
            managed.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            reference.Add((await RunToolAsync(tool, ["-id", "-t", $"{TimeCost}", "-m", $"{Log2(MemoryKib)}", "-p", $"{Parallelism}", "-l", "32", "-r"])).Millis);
            startup.Add((await RunToolAsync(tool, ["-id", "-t", "1", "-m", "3", "-p", "1", "-l", "32", "-r"])).Millis);
        }

        var processStart = Median(startup);
        var referenceKdf = Median(reference) - processStart;
        Measure.Report($"key-file KDF Argon2id t={TimeCost} m={MemoryKib} KiB p={Parallelism}", referenceKdf, Median(managed), 1.2, "ms");
        Measure.Note($"baseline: reference C argon2 CLI {Median(reference):0.0} ms minus process start-up {processStart:0.0} ms (the same tool at -t 1 -m 3 -p 1); outputs identical.");
        Measure.Note($"lyndrix: Isopoh.Cryptography.Argon2 in-process, {Math.Min(Environment.ProcessorCount, Parallelism)} thread(s) for {Parallelism} lanes.");
    }

    private static byte[] Derive(byte[] salt)
    {
        var config = new Argon2Config
        {
            Type = Argon2Type.HybridAddressing,
            Version = Argon2Version.Nineteen,
            TimeCost = TimeCost,
            MemoryCost = MemoryKib,
            Lanes = Parallelism,
            Threads = Math.Clamp(Environment.ProcessorCount, 1, Parallelism),
            Password = Encoding.UTF8.GetBytes(Password),
            Salt = salt,
            HashLength = 32,
        };
        using var argon2 = new Argon2(config);
        using var hash = argon2.Hash();
        return hash.Buffer.ToArray();
    }

    private static async Task<(string Output, double Millis)> RunToolAsync(string tool, string[] arguments)
    {
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Salt);
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        var start = Stopwatch.GetTimestamp();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{tool} could not be started.");
        await process.StandardInput.WriteAsync(Password);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} failed (exit {process.ExitCode}): {await error}");
        }

        return ((await output).Trim(), elapsed);
    }

    private static int Log2(int kib) => (int)Math.Log2(kib);

    private static double Median(List<double> samples)
    {
        var sorted = samples.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
