using System.Data.Common;
using MySqlConnector;

namespace Lyndrix.Core.Data;

/// <summary>
/// MariaDB through a <see cref="MySqlDataSource"/> (one pool). <c>ConnectionReset=true</c> is the equivalent of
/// SQLAlchemy's <c>pool_pre_ping</c>: MySqlConnector resets every pooled session when it is checked out, and a session
/// whose reset fails (server restarted, connection killed) is discarded and replaced by a new one before the caller sees it.
/// </summary>
internal sealed class MariaDbConnectionSource(DatabaseSettings settings) : IDatabaseConnectionSource
{
    private readonly Lock _gate = new();
    private MySqlDataSource? _dataSource;
    private string? _password;

    public SqlDialect Dialect => MariaDbDialect.Instance;

    public string Description => settings.Describe();

    /// <summary>The connection string for a password; built with the driver's builder so any character in the password is safe.</summary>
    public static string BuildConnectionString(DatabaseSettings settings, string? password)
    {
        var builder = new MySqlConnectionStringBuilder
        {
            Server = settings.Host ?? throw new DatabaseConfigurationException("DB_HOST is not set, so there is no MariaDB server to connect to."),
            Port = (uint)settings.Port,
            UserID = settings.User,
            Password = password ?? "",
            Database = settings.Name,
            SslMode = settings.SslMode switch
            {
                DatabaseSslMode.None => MySqlSslMode.None,
                DatabaseSslMode.Required => MySqlSslMode.Required,
                DatabaseSslMode.VerifyCa => MySqlSslMode.VerifyCA,
                DatabaseSslMode.VerifyFull => MySqlSslMode.VerifyFull,
                _ => MySqlSslMode.Preferred,
            },
            ConnectionTimeout = (uint)Math.Max(1, Math.Ceiling(settings.ConnectTimeout.TotalSeconds)),
            ConnectionReset = true,
            Pooling = true,
            CharacterSet = "utf8mb4",
            // With several nodes (a Galera cluster) each new pooled connection takes the next node; a node that does not
            // answer is skipped for a while, so the host carries on with the others.
            LoadBalance = MySqlLoadBalance.RoundRobin,
            // A password must never come back out of a MySqlConnection.ConnectionString.
            PersistSecurityInfo = false,
        };
        if (settings.SslCa is not null)
        {
            builder.SslCa = settings.SslCa;
        }

        return builder.ConnectionString;
    }

    public void Configure(string? password)
    {
        string connectionString;
        try
        {
            connectionString = BuildConnectionString(settings, password);
        }
        catch (ArgumentException ex)
        {
            throw new DatabaseConfigurationException($"The MariaDB settings do not form a valid connection ({ex.GetType().Name}). Check DB_HOST, DB_PORT, DB_USER and DB_NAME.");
        }

        MySqlDataSource? old;
        lock (_gate)
        {
            if (_dataSource is not null && password == _password)
            {
                return;
            }

            old = _dataSource;
            _dataSource = new MySqlDataSource(connectionString);
            _password = password;
        }

        old?.Dispose();
    }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var dataSource = _dataSource ?? throw new DatabaseUnavailableException(
            "The database is not connected yet: it connects after the secret store has opened (vault:opened). Wait for db:connected.");
        return await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<DatabaseFailure> ClassifyAsync(Exception exception, CancellationToken cancellationToken)
    {
        if (exception is DatabaseConfigurationException config)
        {
            return DatabaseFailure.Permanent("config_error", config.Message);
        }

        if (DatabaseFailureClassifier.ClassifyMariaDb(exception, settings) is { } failure)
        {
            return failure;
        }

        // Every node failed (the driver fails over on its own while one answers): report the most hopeful finding.
        MariaDbProbeResult? first = null;
        foreach (var host in settings.Hosts)
        {
            var probe = await MariaDbReachabilityProbe.ProbeAsync(host, settings.Port, settings.ConnectTimeout, cancellationToken).ConfigureAwait(false);
            first ??= probe;
            if (probe.Outcome != MariaDbProbeOutcome.HostNotFound)
            {
                return DatabaseFailureClassifier.FromProbe(probe, settings);
            }
        }

        return DatabaseFailureClassifier.FromProbe(first!, settings);
    }

    public async Task ResetPoolAsync()
    {
        var dataSource = _dataSource;
        if (dataSource is null)
        {
            return;
        }

        await using var connection = dataSource.CreateConnection();
        await MySqlConnection.ClearPoolAsync(connection).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        MySqlDataSource? dataSource;
        lock (_gate)
        {
            dataSource = _dataSource;
            _dataSource = null;
        }

        if (dataSource is not null)
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }
}
