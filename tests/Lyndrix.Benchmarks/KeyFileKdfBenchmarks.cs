using System.Diagnostics;
using System.Text;
using Lyndrix.Core.Crypto;
using Lyndrix.Core.Secrets.KeyFile;

namespace Lyndrix.Benchmarks;

/// <summary>
/// The key-file KDF (<c>Argon2idKeyDerivation</c> at <c>Argon2Parameters.Default</c>: Argon2id t=3, m=65536 KiB, p=4, 32-byte
/// key) vs the reference C implementation: the <c>argon2</c> command-line tool of Debian's <c>argon2</c> package, at the same
/// parameters. The tool is timed as a process, so the cost of starting a process is measured separately (the same tool at
/// trivial parameters) and subtracted. The managed fallback (used when <c>libargon2</c> is absent) is timed too.
/// </summary>
internal static class KeyFileKdfBenchmarks
{
    private const string Password = "pw";
    private const string Salt = "saltsaltsaltsalt";
    private const int Rounds = 5;
    private static readonly int TimeCost = Argon2Parameters.Default.TimeCost;
    private static readonly int MemoryKib = Argon2Parameters.Default.MemoryKib;
    private static readonly int Parallelism = Argon2Parameters.Default.Parallelism;

    public static async Task RunAsync()
    {
        var tool = FindOnPath("argon2");
        if (tool is null)
        {
            Console.WriteLine($"{"key-file KDF vs reference C argon2",-48} SKIPPED: the argon2 tool is not installed. Install it with 'apt-get install argon2' (Debian/Ubuntu) and run again.");
            return;
        }

        var salt = Encoding.UTF8.GetBytes(Salt);
        string[] full = ["-id", "-t", $"{TimeCost}", "-m", $"{Log2(MemoryKib)}", "-p", $"{Parallelism}", "-l", $"{Argon2idKeyDerivation.KeyLength}", "-r"];
        var theirs = await RunToolAsync(tool, full);
        var ours = Convert.ToHexStringLower(Argon2idKeyDerivation.DeriveKey(Password, salt, Argon2Parameters.Default));
        var managedKey = Convert.ToHexStringLower(Managed(salt));
        if (theirs.Output != ours || managedKey != ours)
        {
            throw new InvalidOperationException($"The KDFs disagree (lyndrix {ours}, managed {managedKey}, reference {theirs.Output}): the comparison would be meaningless.");
        }

        // Interleaved rounds, so background load on a shared machine hits all of them alike.
        var lyndrix = new List<double>();
        var managed = new List<double>();
        var reference = new List<double>();
        var startup = new List<double>();
        for (var r = 0; r < Rounds; r++)
        {
            var start = Stopwatch.GetTimestamp();
            _ = Argon2idKeyDerivation.DeriveKey(Password, salt, Argon2Parameters.Default);
            lyndrix.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            start = Stopwatch.GetTimestamp();
            _ = Managed(salt);
            managed.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            reference.Add((await RunToolAsync(tool, full)).Millis);
            startup.Add((await RunToolAsync(tool, ["-id", "-t", "1", "-m", "3", "-p", "1", "-l", "32", "-r"])).Millis);
        }

        var processStart = Median(startup);
        var referenceKdf = Median(reference) - processStart;
        Measure.Report($"key-file KDF {Argon2Parameters.Default}", referenceKdf, Median(lyndrix), 1.2, "ms");
        Measure.Note($"baseline: reference C argon2 CLI {Median(reference):0.0} ms minus process start-up {processStart:0.0} ms (the same tool at -t 1 -m 3 -p 1); outputs identical.");
        Measure.Note($"lyndrix: Argon2idKeyDerivation in-process, implementation '{Argon2Raw.Implementation}' (libargon2 when installed, else managed Isopoh).");
        Measure.Report("  managed fallback (Isopoh), for comparison", referenceKdf, Median(managed), 1.2, "ms");
    }

    private static byte[] Managed(byte[] salt) =>
        Argon2Raw.HashManaged(Encoding.UTF8.GetBytes(Password), salt, Argon2Variant.Id, 0x13, TimeCost, MemoryKib, Parallelism, Argon2idKeyDerivation.KeyLength);

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
