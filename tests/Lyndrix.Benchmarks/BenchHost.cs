using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Lyndrix.Core.Tests.Support;

namespace Lyndrix.Benchmarks;

/// <summary>
/// The real <c>lyndrix</c> executable (built with the benchmarks) on embedded defaults (SQLite, embedded secret store) in a
/// private folder, on a free loopback port: what an operator runs with <c>build.ps1 run</c>, measured from outside.
/// </summary>
internal sealed class BenchHost : IAsyncDisposable
{
    public const string AdminPassword = "Bench-Adm1n-Passphrase-Q";

    private readonly Process _process;
    private readonly TempDirectory _dir;
    private readonly StringBuilder _output = new();

    private BenchHost(Process process, TempDirectory dir, int port)
    {
        _process = process;
        _dir = dir;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public int ProcessId => _process.Id;

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

    private static string Executable { get; } = typeof(BenchHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "HostExecutable").Value!;

    public static async Task<BenchHost> StartAsync(IReadOnlyDictionary<string, string>? extra = null)
    {
        if (!File.Exists(Executable))
        {
            throw new FileNotFoundException($"Build the solution first (dotnet build Lyndrix.sln -c Release): {Executable} is missing.");
        }

        var dir = new TempDirectory("lyndrix-bench-host");
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = dir.Path, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Executable);
        info.ArgumentList.Add("run");
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("LYNDRIX_", StringComparison.Ordinal) || k.StartsWith("VAULT_", StringComparison.Ordinal) || k.StartsWith("DB_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["ENV_TYPE"] = "dev";
        info.Environment["LOG_LEVEL"] = "WARNING";
        info.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["STORAGE_DIR"] = dir.Sub("storage");
        info.Environment["SECURITY_DIR"] = dir.Sub("security");
        info.Environment["LOGS_DIR"] = dir.Sub("logs");
        info.Environment["PLUGINS_DIR"] = dir.Sub("plugins");
        info.Environment["LYNDRIX_MASTER_KEY"] = "bench-master-key-" + Guid.NewGuid().ToString("N");
        info.Environment["LYNDRIX_ADMIN_PASSWORD"] = AdminPassword;
        info.Environment["LYNDRIX_BOT_PASSWORD"] = "Bench-B0t-Passphrase-Q";
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info)!;
        var host = new BenchHost(process, dir, port);
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await host.WaitForBootAsync(TimeSpan.FromMinutes(3));
        return host;
    }

    /// <summary>Resident set size of the host process now (Linux <c>/proc</c>), in bytes.</summary>
    public long RssBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("No VmRSS line: is this Linux?");
    }

    public async Task<(string Token, string SessionId)> LoginAsync(string username, string password)
    {
        var response = await Http.PostAsJsonAsync("/api/auth/login", new { username, password });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"Login failed with {(int)response.StatusCode}: {body}");
        }

        return (body.GetProperty("token").GetString()!, body.GetProperty("session_id").GetString()!);
    }

    public HttpRequestMessage Request(HttpMethod method, string path, string? token)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitForBootAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The host exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var health = await Http.GetAsync("/api/health");
                var body = await health.Content.ReadAsStringAsync();
                if (health.IsSuccessStatusCode && body.Contains("\"status\":\"ok\"", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
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
        _dir.Dispose();
    }
}
