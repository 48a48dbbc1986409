using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using MySqlConnector;

namespace Lyndrix.IntegrationTests.Support;

/// <summary>
/// A private MariaDB server for tests: a fresh data directory in a temp folder (mariadb-install-db), bound to 127.0.0.1 on
/// a random free port with its socket in that folder, grant tables on (an admin account with a random password is created
/// by an init file), and no option files read. Tests can stop, kill and restart it on the same port and data directory.
/// One instance is shared by the whole test run (<see cref="SharedAsync"/>); it is killed when the process exits.
/// </summary>
public sealed class MariaDbServer : IAsyncDisposable
{
    public const string Host = "127.0.0.1";
    public const string AdminUser = "fixture_admin";

    private static readonly SemaphoreSlim SharedGate = new(1, 1);
    private static MariaDbServer? _shared;

    private readonly string _binary;
    private readonly string _root;
    private Process? _process;

    private MariaDbServer(string binary, string root, int port)
    {
        _binary = binary;
        _root = root;
        Port = port;
        AdminPassword = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    }

    public int Port { get; }

    public string AdminPassword { get; }

    public string DataDirectory => Path.Combine(_root, "data");

    public string ErrorLogPath => Path.Combine(_root, "error.log");

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The server shared by every test of this run, started on first use. Ignores the test when MariaDB is not installed.</summary>
    public static async Task<MariaDbServer> SharedAsync()
    {
        await SharedGate.WaitAsync();
        try
        {
            if (_shared is null)
            {
                _shared = await StartNewAsync();
                AppDomain.CurrentDomain.ProcessExit += (_, _) => _shared?.KillNow();
            }

            await _shared.EnsureRunningAsync();
            return _shared;
        }
        finally
        {
            SharedGate.Release();
        }
    }

    /// <summary>Stops the shared server, if one was started (from a SetUpFixture's OneTimeTearDown).</summary>
    public static async Task DisposeSharedAsync()
    {
        if (_shared is { } shared)
        {
            _shared = null;
            await shared.DisposeAsync();
        }
    }

    public static string? FindBinary()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/local/sbin", "/usr/libexec", "/usr/local/mysql/bin"]);
        foreach (var dir in path)
        {
            foreach (var name in new[] { "mariadbd", "mysqld" })
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    public static async Task<MariaDbServer> StartNewAsync()
    {
        var binary = FindBinary();
        var installer = FindInstaller(binary);
        if (binary is null || installer is null)
        {
            ServerRequirement.Missing("MariaDB server (mariadbd and mariadb-install-db)", "apt-get install mariadb-server");
        }

        var root = Path.Combine(Path.GetTempPath(), "lyndrix-mariadb-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(root);
        var server = new MariaDbServer(binary!, root, FreePort());
        await File.WriteAllTextAsync(Path.Combine(root, "init.sql"),
            $"CREATE USER IF NOT EXISTS '{AdminUser}'@'{Host}' IDENTIFIED BY '{server.AdminPassword}';\n" +
            $"GRANT ALL PRIVILEGES ON *.* TO '{AdminUser}'@'{Host}' WITH GRANT OPTION;\n");

        var install = new List<string>
        {
            "--no-defaults", $"--datadir={server.DataDirectory}", "--auth-root-authentication-method=socket", "--skip-test-db",
            "--skip-name-resolve", "--innodb-log-file-size=8M", "--innodb-buffer-pool-size=32M",
        };
        if (IsRoot)
        {
            install.Add("--user=root");
        }

        var (code, output) = await RunAsync(installer!, install);
        if (code != 0)
        {
            throw new InvalidOperationException($"mariadb-install-db failed with exit code {code}:\n{output}");
        }

        await server.StartAsync();
        return server;
    }

    /// <summary>Starts the server (again) on the same port and data directory and waits until it accepts the admin login.</summary>
    public async Task StartAsync()
    {
        if (IsRunning)
        {
            return;
        }

        var args = new List<string>
        {
            "--no-defaults", $"--datadir={DataDirectory}", $"--socket={Path.Combine(_root, "mysqld.sock")}", $"--port={Port}",
            $"--bind-address={Host}", $"--pid-file={Path.Combine(_root, "mysqld.pid")}", $"--log-error={ErrorLogPath}",
            "--skip-name-resolve", $"--init-file={Path.Combine(_root, "init.sql")}", "--innodb-log-file-size=8M",
            "--innodb-buffer-pool-size=32M", "--max-connections=300", "--skip-log-bin", "--innodb-flush-log-at-trx-commit=2",
        };
        if (IsRoot)
        {
            args.Add("--user=root");
        }

        var info = new ProcessStartInfo(_binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {_binary}.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
    }

    public async Task EnsureRunningAsync()
    {
        if (!IsRunning)
        {
            await StartAsync();
        }
    }

    /// <summary>Graceful shutdown (SIGTERM), waiting for the process to exit.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        // SIGTERM is mariadbd's clean shutdown; Process.Kill would send SIGKILL.
        if (SendSignal(process.Id, SigTerm) != 0)
        {
            process.Kill();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Kills the server without warning (SIGKILL), as a crash or an OOM kill would.</summary>
    public async Task KillAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        process.Kill();
        await process.WaitForExitAsync();
    }

    public string AdminConnectionString(string? database = null) => new MySqlConnectionStringBuilder
    {
        Server = Host,
        Port = (uint)Port,
        UserID = AdminUser,
        Password = AdminPassword,
        Database = database ?? "",
        SslMode = MySqlSslMode.None,
        ConnectionTimeout = 5,
    }.ConnectionString;

    /// <summary>Creates an empty database with a unique name.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(60, prefix.Length + 33)];
        await ExecuteAsAdminAsync($"CREATE DATABASE `{name}` CHARACTER SET utf8mb4");
        return name;
    }

    /// <summary>Creates (or re-creates) a user at 127.0.0.1 with a password and all privileges on one database.
    /// The password is passed as a parameter, so any character in it is safe.</summary>
    public async Task CreateUserAsync(string user, string password, string database)
    {
        if (user.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '_'))
        {
            throw new ArgumentException("Test user names are letters, digits and '_'.", nameof(user));
        }

        await ExecuteAsAdminAsync($"DROP USER IF EXISTS '{user}'@'{Host}'");
        await ExecuteAsAdminAsync($"CREATE USER '{user}'@'{Host}' IDENTIFIED BY @Password", new MySqlParameter("@Password", password));
        await ExecuteAsAdminAsync($"GRANT ALL PRIVILEGES ON `{database}`.* TO '{user}'@'{Host}'");
    }

    public async Task ExecuteAsAdminAsync(string sql, params MySqlParameter[] parameters)
    {
        await using var connection = new MySqlConnection(AdminConnectionString());
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T?> ScalarAsAdminAsync<T>(string sql, string? database = null)
    {
        await using var connection = new MySqlConnection(AdminConnectionString(database));
        await connection.OpenAsync();
        await using var command = new MySqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    public string ErrorLogTail(int lines = 30) =>
        File.Exists(ErrorLogPath) ? string.Join("\n", File.ReadLines(ErrorLogPath).TakeLast(lines)) : "(no error log)";

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void KillNow()
    {
        try
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            if (_process is { HasExited: true } exited)
            {
                throw new InvalidOperationException($"mariadbd exited with code {exited.ExitCode} while starting:\n{ErrorLogTail()}");
            }

            try
            {
                await using var connection = new MySqlConnection(AdminConnectionString());
                await connection.OpenAsync();
                return;
            }
            catch (MySqlException ex)
            {
                last = ex;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"mariadbd did not accept connections within {timeout.TotalSeconds}s ({last?.Message}):\n{ErrorLogTail()}");
    }

    internal static string? FindInstaller(string? binary)
    {
        if (binary is null)
        {
            return null;
        }

        foreach (var candidate in new[] { "/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db", "/usr/local/bin/mariadb-install-db",
                     Path.Combine(Path.GetDirectoryName(binary)!, "..", "bin", "mariadb-install-db") })
        {
            if (File.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        return null;
    }

    internal static bool IsRoot => Environment.UserName == "root";

    internal const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static extern int SendSignal(int pid, int signal);

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static async Task<(int Code, string Output)> RunAsync(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
