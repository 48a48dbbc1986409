using System.Net;
using System.Net.Http.Json;
using System.Reflection;
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

    private readonly HostProcess _process;
    private readonly TempDirectory _dir;

    private BenchHost(HostProcess process, TempDirectory dir)
    {
        _process = process;
        _dir = dir;
        Http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    public Uri BaseAddress => _process.BaseAddress;

    public HttpClient Http { get; }

    public int ProcessId => _process.ProcessId;

    public string Output => _process.Output;

    private static string Executable { get; } = typeof(BenchHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "HostExecutable").Value!;

    /// <param name="extra">Settings on top of (or instead of) the embedded defaults in a private folder.</param>
    public static async Task<BenchHost> StartAsync(IReadOnlyDictionary<string, string>? extra = null)
    {
        if (!File.Exists(Executable))
        {
            throw new FileNotFoundException($"Build the solution first (dotnet build Lyndrix.sln -c Release): {Executable} is missing.");
        }

        var dir = new TempDirectory("lyndrix-bench-host");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ENV_TYPE"] = "dev",
            ["LOG_LEVEL"] = "WARNING",
            ["STORAGE_DIR"] = dir.Sub("storage"),
            ["SECURITY_DIR"] = dir.Sub("security"),
            ["LOGS_DIR"] = dir.Sub("logs"),
            ["PLUGINS_DIR"] = dir.Sub("plugins"),
            ["LYNDRIX_MASTER_KEY"] = "bench-master-key-" + Guid.NewGuid().ToString("N"),
            ["LYNDRIX_ADMIN_PASSWORD"] = AdminPassword,
            ["LYNDRIX_BOT_PASSWORD"] = "Bench-B0t-Passphrase-Q",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        var host = new BenchHost(HostProcess.Start(environment, HostProcess.FreePort(), dir.Path, Executable), dir);
        try
        {
            await host._process.WaitUntilHealthyAsync(TimeSpan.FromMinutes(3));
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Resident set size of the host process now (Linux <c>/proc</c>), in bytes.</summary>
    public long RssBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{ProcessId}/status"))
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

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _process.DisposeAsync();
        _dir.Dispose();
    }
}
