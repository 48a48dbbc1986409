using System.Diagnostics;
using MySqlConnector;

namespace Lyndrix.IntegrationTests.Support;

/// <summary>
/// A real MariaDB Galera cluster for tests (Debian's <c>galera-4</c>): <see cref="NodeCount"/> <c>mariadbd</c> processes on
/// 127.0.0.1, 127.0.0.2, ... (every loopback address is this machine), all on one SQL port, so a client lists them the way
/// an operator would (<c>DB_HOST=127.0.0.1,127.0.0.2,127.0.0.3</c>). The first node bootstraps the cluster from a fresh
/// data directory; the others join empty and receive its state by rsync SST. Each node has its own data directory under one
/// temp folder. Tests can kill a node (SIGKILL) and start it again (it rejoins by IST).
/// </summary>
public sealed class GaleraCluster : IAsyncDisposable
{
    public const string Provider = "/usr/lib/galera/libgalera_smm.so";

    private readonly string _binary;
    private readonly string _root;
    private readonly int _galeraPort;
    private readonly Process?[] _nodes;

    private GaleraCluster(string binary, string root, int nodeCount)
    {
        _binary = binary;
        _root = root;
        _nodes = new Process?[nodeCount];
        Port = MariaDbServer.FreePort();
        _galeraPort = MariaDbServer.FreePort();
        AdminPassword = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    }

    public int Port { get; }

    public string AdminPassword { get; }

    public int NodeCount => _nodes.Length;

    /// <summary>The value of <c>DB_HOST</c> for the whole cluster.</summary>
    public string Hosts => string.Join(",", Enumerable.Range(0, NodeCount).Select(Address));

    public static string Address(int node) => $"127.0.0.{node + 1}";

    public bool IsRunning(int node) => _nodes[node] is { HasExited: false };

    /// <summary>Starts a cluster of <paramref name="nodeCount"/> nodes and waits until every node is synced. Ignores the test
    /// when MariaDB, Galera or rsync is missing (fails under <c>LYNDRIX_REQUIRE_SERVERS=1</c>).</summary>
    public static async Task<GaleraCluster> StartAsync(int nodeCount = 3)
    {
        var binary = MariaDbServer.FindBinary();
        var installer = MariaDbServer.FindInstaller(binary);
        if (binary is null || installer is null || !File.Exists(Provider) || !File.Exists("/usr/bin/rsync"))
        {
            ServerRequirement.Missing("MariaDB Galera (mariadbd, galera-4 and rsync)", "apt-get install mariadb-server galera-4 rsync");
        }

        var root = Path.Combine(Path.GetTempPath(), "lyndrix-galera-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(root);
        var cluster = new GaleraCluster(binary!, root, nodeCount);
        try
        {
            await cluster.BootstrapAsync(installer!);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public string AdminConnectionString(int node, string? database = null) => new MySqlConnectionStringBuilder
    {
        Server = Address(node),
        Port = (uint)Port,
        UserID = MariaDbServer.AdminUser,
        Password = AdminPassword,
        Database = database ?? "",
        SslMode = MySqlSslMode.None,
        ConnectionTimeout = 5,
        Pooling = false,
    }.ConnectionString;

    public async Task ExecuteAsync(int node, string sql, string? database = null)
    {
        await using var connection = await OpenCausalAsync(node, database);
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Reads one value through <paramref name="node"/> after the node has applied every write the cluster committed
    /// before the read (a causal read), so a row written through another node a moment ago is seen.</summary>
    public async Task<T?> ScalarAsync<T>(int node, string sql, string? database = null)
    {
        await using var connection = await OpenCausalAsync(node, database);
        await using var command = new MySqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Waits until <paramref name="user"/> can open <paramref name="database"/> through every running node. A database and a
    /// GRANT made through one node reach the others a moment later (Galera applies them there in total order), and a client
    /// that connects to another node first gets 1044 meanwhile. Each node is first made to catch up (a causal read), then
    /// asked as the user, until <paramref name="timeout"/>.
    /// </summary>
    public async Task WaitUntilUsableEverywhereAsync(string user, string password, string database, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        for (var node = 0; node < NodeCount; node++)
        {
            if (!IsRunning(node))
            {
                continue;
            }

            await ScalarAsync<int>(node, $"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{database}'");
            var userConnection = new MySqlConnectionStringBuilder(AdminConnectionString(node, database)) { UserID = user, Password = password }.ConnectionString;
            while (true)
            {
                try
                {
                    await using var connection = new MySqlConnection(userConnection);
                    await connection.OpenAsync();
                    break;
                }
                catch (MySqlException e) when (e.ErrorCode is MySqlErrorCode.DatabaseAccessDenied or MySqlErrorCode.UnknownDatabase && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50);
                }
            }
        }
    }

    // wsrep_sync_wait=15: reads, updates, deletes, inserts and SHOW all wait until this node has applied what the cluster
    // committed before them.
    private async Task<MySqlConnection> OpenCausalAsync(int node, string? database)
    {
        var connection = new MySqlConnection(AdminConnectionString(node, database));
        try
        {
            await connection.OpenAsync();
            await using var command = new MySqlCommand("SET SESSION wsrep_sync_wait = 15", connection);
            await command.ExecuteNonQueryAsync();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills a node without warning (SIGKILL), as a crash or a lost machine.</summary>
    public async Task KillAsync(int node)
    {
        if (_nodes[node] is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Starts a stopped node again; it rejoins the cluster and catches up.</summary>
    public Task RestartAsync(int node) => StartNodeAsync(node, bootstrap: false);

    public async Task<int> ClusterSizeAsync(int node) =>
        int.Parse(await StatusAsync(node, "wsrep_cluster_size") ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    public string ErrorLogTail(int node, int lines = 40)
    {
        var path = Path.Combine(_root, $"n{node + 1}.err");
        return File.Exists(path) ? string.Join("\n", File.ReadLines(path).TakeLast(lines)) : "(no error log)";
    }

    public async ValueTask DisposeAsync()
    {
        // Stop the joiners before the bootstrap node, each with a clean shutdown where it still answers.
        for (var node = NodeCount - 1; node >= 0; node--)
        {
            if (_nodes[node] is { HasExited: false } process)
            {
                if (MariaDbServer.SendSignal(process.Id, MariaDbServer.SigTerm) != 0)
                {
                    process.Kill();
                }

                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill();
                }
            }

            _nodes[node]?.Dispose();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private string DataDirectory(int node) => Path.Combine(_root, $"n{node + 1}");

    private async Task BootstrapAsync(string installer)
    {
        var first = DataDirectory(0);
        var install = new List<string>
        {
            "--no-defaults", $"--datadir={first}", "--auth-root-authentication-method=socket", "--skip-test-db", "--skip-name-resolve",
        };
        if (MariaDbServer.IsRoot)
        {
            install.Add("--user=root");
        }

        var (code, output) = await MariaDbServer.RunAsync(installer, install);
        if (code != 0)
        {
            throw new InvalidOperationException($"mariadb-install-db failed with exit code {code}:\n{output}");
        }

        // The account is created on the bootstrap node; joiners receive it with the state transfer.
        await File.WriteAllTextAsync(Path.Combine(_root, "init.sql"),
            $"CREATE USER IF NOT EXISTS '{MariaDbServer.AdminUser}'@'127.0.0.%' IDENTIFIED BY '{AdminPassword}';\n" +
            $"GRANT ALL PRIVILEGES ON *.* TO '{MariaDbServer.AdminUser}'@'127.0.0.%' WITH GRANT OPTION;\n");
        await StartNodeAsync(0, bootstrap: true);
        await Task.WhenAll(Enumerable.Range(1, NodeCount - 1).Select(node => StartNodeAsync(node, bootstrap: false)));
    }

    private async Task StartNodeAsync(int node, bool bootstrap)
    {
        if (IsRunning(node))
        {
            return;
        }

        var address = Address(node);
        var directory = DataDirectory(node);
        if (!bootstrap)
        {
            await PrepareForStateTransferAsync(directory);
        }

        var peers = string.Join(",", Enumerable.Range(0, NodeCount).Select(n => $"{Address(n)}:{_galeraPort}"));
        var args = new List<string>
        {
            "--no-defaults", $"--datadir={directory}", $"--socket={directory}.sock", $"--port={Port}", $"--bind-address={address}",
            $"--pid-file={directory}.pid", $"--log-error={directory}.err", "--skip-name-resolve", "--innodb-log-file-size=8M",
            "--innodb-buffer-pool-size=32M", "--max-connections=300", "--skip-log-bin", "--innodb-flush-log-at-trx-commit=2",
            "--binlog-format=ROW", "--innodb-autoinc-lock-mode=2", "--wsrep-on=ON", $"--wsrep-provider={Provider}",
            "--wsrep-cluster-name=lyndrix-test", $"--wsrep-node-address={address}", $"--wsrep-node-name=n{node + 1}",
            $"--wsrep-provider-options=gmcast.listen_addr=tcp://{address}:{_galeraPort};ist.recv_addr={address}:{_galeraPort + 1};gcache.size=32M",
            "--wsrep-sst-method=rsync", $"--wsrep-sst-receive-address={address}:{_galeraPort + 2}",
            $"--wsrep-cluster-address=gcomm://{(bootstrap ? "" : peers)}",
        };
        if (bootstrap)
        {
            args.Add($"--init-file={Path.Combine(_root, "init.sql")}");
        }

        if (MariaDbServer.IsRoot)
        {
            args.Add("--user=root");
        }

        var info = new ProcessStartInfo(_binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {_binary}.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _nodes[node]?.Dispose();
        _nodes[node] = process;
        await WaitUntilSyncedAsync(node, TimeSpan.FromSeconds(120));
    }

    // A joiner receives the donor's state through an rsync daemon that the SST script starts; under a root mariadbd that daemon
    // writes as 'nobody', so a joiner's data directory (also one left by a killed node) must belong to 'nobody'.
    private static async Task PrepareForStateTransferAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        if (!MariaDbServer.IsRoot)
        {
            return;
        }

        var (code, output) = await MariaDbServer.RunAsync("/bin/chown", ["-R", "nobody", directory]);
        if (code != 0)
        {
            throw new InvalidOperationException($"chown -R nobody {directory} failed: {output}");
        }
    }

    private async Task<string?> StatusAsync(int node, string variable)
    {
        await using var connection = new MySqlConnection(AdminConnectionString(node));
        await connection.OpenAsync();
        await using var command = new MySqlCommand($"SHOW STATUS LIKE '{variable}'", connection);
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? reader.GetString(1) : null;
    }

    private async Task WaitUntilSyncedAsync(int node, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            if (_nodes[node] is { HasExited: true } exited)
            {
                throw new InvalidOperationException($"Galera node {node + 1} exited with code {exited.ExitCode} while starting:\n{ErrorLogTail(node)}");
            }

            try
            {
                if (await StatusAsync(node, "wsrep_local_state_comment") == "Synced" && await StatusAsync(node, "wsrep_ready") == "ON")
                {
                    return;
                }
            }
            catch (MySqlException ex)
            {
                last = ex;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"Galera node {node + 1} was not synced within {timeout.TotalSeconds}s ({last?.Message}):\n{ErrorLogTail(node)}");
    }
}
