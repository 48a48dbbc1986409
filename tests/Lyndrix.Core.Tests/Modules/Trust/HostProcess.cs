using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Lyndrix.Core.Tests.Modules.Trust;

/// <summary>The real <c>lyndrix</c> executable (as built with the solution) started as a child process with exactly the
/// environment a test gives it, on a free loopback port; its console output is kept for failure messages.</summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private HostProcess(Process process, int port)
    {
        _process = process;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    public HttpClient Http { get; }

    public int ProcessId => _process.Id;

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

    public static string Executable => Path.Combine(PluginFixtures.RepoRoot, "core", "Lyndrix.Host", "bin", PluginFixtures.Configuration, "net10.0", "lyndrix.dll");

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

    public async Task WaitForBootAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The host exited with {_process.ExitCode}:\n{Output}");
            }

            if (Output.Contains("system:boot_complete", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The host did not finish booting within {timeout}:\n{Output}");
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
