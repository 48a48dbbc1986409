using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Lyndrix.Core.Tests.Support;

/// <summary>The real <c>lyndrix</c> executable (as built with the solution) started as a child process with exactly the
/// environment a test gives it, on a loopback port; its console output is kept for failure messages. Shared by the unit
/// tests, the integration tests (several hosts on one cluster) and the benchmarks.</summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private HostProcess(Process process, int port)
    {
        _process = process;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        Http = new HttpClient { BaseAddress = BaseAddress };
    }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Kills the host alone (SIGKILL), as a crash would: its own children are left to notice.</summary>
    public void Kill() => _process.Kill(entireProcessTree: false);

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary><c>core/Lyndrix.Host/bin/&lt;Configuration&gt;/net10.0/lyndrix.dll</c> of the configuration this test assembly
    /// was built in (its output folder is <c>bin/&lt;Configuration&gt;/net10.0</c> as well).</summary>
    public static string Executable { get; } = FindExecutable();

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <param name="executable">Another copy of <c>lyndrix.dll</c> than the built one (e.g. staged where another account can read it),
    /// or a <c>lyndrix</c> command that runs by itself (the .NET tool's shim).</param>
    public static HostProcess Start(IReadOnlyDictionary<string, string> environment, int port, string workingDirectory, string? executable = null)
    {
        executable ??= Executable;
        var viaDotnet = executable.EndsWith(".dll", StringComparison.Ordinal);
        var info = new ProcessStartInfo(viaDotnet ? "dotnet" : executable)
        {
            WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (viaDotnet)
        {
            info.ArgumentList.Add(executable);
        }

        info.ArgumentList.Add("run");
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("LYNDRIX_", StringComparison.Ordinal) || k.StartsWith("VAULT_", StringComparison.Ordinal) || k.StartsWith("DB_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        info.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var process = Process.Start(info)!;
        var host = new HostProcess(process, port);
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Waits for <c>system:boot_complete</c> in the host's output.</summary>
    public Task WaitForBootAsync(TimeSpan timeout) => WaitUntilAsync(timeout, "finish booting",
        () => Task.FromResult(Output.Contains("system:boot_complete", StringComparison.Ordinal)));

    /// <summary>Waits until anonymous <c>GET /api/health</c> answers <c>"status":"ok"</c>.</summary>
    public Task WaitUntilHealthyAsync(TimeSpan timeout) => WaitUntilAsync(timeout, "report itself healthy", IsHealthyAsync);

    public async Task<bool> IsHealthyAsync()
    {
        try
        {
            using var health = await Http.GetAsync("/api/health");
            return health.IsSuccessStatusCode && (await health.Content.ReadAsStringAsync()).Contains("\"status\":\"ok\"", StringComparison.Ordinal);
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private async Task WaitUntilAsync(TimeSpan timeout, string what, Func<Task<bool>> done)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The host exited with {_process.ExitCode}:\n{Output}");
            }

            if (await done())
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The host did not {what} within {timeout}:\n{Output}");
    }

    private static string FindExecutable()
    {
        // <repo>/tests/<project>/bin/<Configuration>/net10.0/
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Lyndrix.sln")))
        {
            root = root.Parent;
        }

        return root is null
            ? throw new InvalidOperationException($"No Lyndrix.sln above {output.FullName}.")
            : Path.Combine(root.FullName, "core", "Lyndrix.Host", "bin", output.Parent!.Name, output.Name, "lyndrix.dll");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Append(line).Append('\n');
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
