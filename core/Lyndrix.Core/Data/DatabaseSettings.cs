using Lyndrix.Core.Configuration;

namespace Lyndrix.Core.Data;

/// <summary>
/// Database settings. With <c>DB_HOST</c> set the host uses MariaDB; without it, an embedded SQLite file
/// <c>STORAGE_DIR/lyndrix.db</c>. The retry and watchdog knobs exist so operators can tune recovery and tests can run fast.
/// </summary>
internal sealed record DatabaseSettings
{
    public const string SqliteFileName = "lyndrix.db";

    /// <summary>Null selects the embedded SQLite database. May list several nodes of a cluster (a MariaDB Galera cluster),
    /// comma-separated, all on <see cref="Port"/>: new connections go round-robin over them and skip a node that is down.</summary>
    public string? Host { get; init; }

    /// <summary>The nodes of <see cref="Host"/>, in order.</summary>
    public IReadOnlyList<string> Hosts => Host is null ? [] : Host.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    public int Port { get; init; } = 3306;

    public string User { get; init; } = "admin";

    /// <summary>From <c>DB_PASSWORD</c>; the secret store (<c>core/lyndrix.core.database</c>, field <c>db_password</c>) overrides it when present.</summary>
    public string? Password { get; init; }

    public string Name { get; init; } = "lyndrix_db";

    public DatabaseSslMode SslMode { get; init; } = DatabaseSslMode.Preferred;

    /// <summary>PEM file with the CA certificate(s) that signed the server certificate.</summary>
    public string? SslCa { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Fast retries of a transient failure before <c>reason:"max_retries"</c>; slow recovery attempts continue after.</summary>
    public int MaxRetries { get; init; } = 10;

    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the database is tried again after the fast retries are used up.</summary>
    public TimeSpan RecoveryInterval { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan WatchdogInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Absolute path of the SQLite file (used when <see cref="Host"/> is null).</summary>
    public required string SqlitePath { get; init; }

    public bool UsesMariaDb => Host is not null;

    public static DatabaseSettings Load(IConfigSource source, string baseDirectory, string storageDir)
    {
        var r = new SettingsReader(source, baseDirectory);
        var settings = Read(r, storageDir);
        r.ThrowIfInvalid();
        return settings;
    }

    public static DatabaseSettings Read(SettingsReader r, string storageDir)
    {
        var host = r.String("DB_HOST");
        if (host is not null && string.IsNullOrWhiteSpace(host))
        {
            host = null;
        }

        host = host?.Trim();
        if (host is not null)
        {
            var nodes = host.Split(',', StringSplitOptions.TrimEntries);
            if (nodes.Any(n => n.Length == 0 || n.Contains(':', StringComparison.Ordinal) && !System.Net.IPAddress.TryParse(n, out _)))
            {
                r.Problem("DB_HOST", $"must be a host name or a comma-separated list of the nodes of one cluster, all on DB_PORT, such as " +
                                     $"'db1,db2,db3' (got '{host}'; a port goes in DB_PORT, not after the name)");
            }

            host = string.Join(",", nodes);
        }
        var sslModeRaw = r.String("DB_SSL_MODE");
        var sslMode = DatabaseSslMode.Preferred;
        if (sslModeRaw is not null && !DatabaseSslModes.TryParse(sslModeRaw, out sslMode))
        {
            r.Problem("DB_SSL_MODE", $"must be one of {DatabaseSslModes.Names} (got '{sslModeRaw}')");
        }

        var sslCa = r.String("DB_SSL_CA");
        if (string.IsNullOrWhiteSpace(sslCa))
        {
            sslCa = null;
        }
        else
        {
            sslCa = r.Path("DB_SSL_CA", sslCa);
            if (!File.Exists(sslCa))
            {
                r.Problem("DB_SSL_CA", $"names a CA certificate file that does not exist ({sslCa}); give the path of a PEM file or unset it");
            }
            else if (sslModeRaw is null)
            {
                // A CA without a mode would otherwise be ignored silently (Preferred does not verify).
                sslMode = DatabaseSslMode.VerifyCa;
            }
        }

        var baseDelay = r.Seconds("DB_RETRY_BASE_DELAY", 1, 0.001, 3600);
        var maxDelay = r.Seconds("DB_RETRY_MAX_DELAY", 30, 0.001, 3600);
        if (maxDelay < baseDelay)
        {
            r.Problem("DB_RETRY_MAX_DELAY", $"must not be shorter than DB_RETRY_BASE_DELAY ({baseDelay.TotalSeconds:0.###}s)");
        }

        var user = r.String("DB_USER", "admin");
        if (host is not null && string.IsNullOrWhiteSpace(user))
        {
            r.Problem("DB_USER", "must name the MariaDB user when DB_HOST is set");
        }

        var name = r.String("DB_NAME", "lyndrix_db");
        if (string.IsNullOrWhiteSpace(name))
        {
            r.Problem("DB_NAME", "must name the database (default lyndrix_db)");
        }

        return new DatabaseSettings
        {
            Host = host,
            Port = r.Int("DB_PORT", 3306, 1, 65535),
            User = user,
            Password = r.String("DB_PASSWORD"),
            Name = name,
            SslMode = sslMode,
            SslCa = sslCa,
            ConnectTimeout = r.Seconds("DB_CONNECT_TIMEOUT", 5, 0.1, 600),
            MaxRetries = r.Int("DB_MAX_RETRIES", 10, 0, 1000),
            RetryBaseDelay = baseDelay,
            RetryMaxDelay = maxDelay,
            RecoveryInterval = r.Seconds("DB_RECOVERY_INTERVAL", 60, 0.01, 86400),
            WatchdogInterval = r.Seconds("DB_WATCHDOG_INTERVAL", 15, 0.01, 86400),
            SqlitePath = System.IO.Path.Combine(storageDir, SqliteFileName),
        };
    }

    /// <summary>A description safe for logs: never the password.</summary>
    public string Describe() => UsesMariaDb
        ? $"MariaDB {User}@{Host}:{Port}/{Name} (TLS {DatabaseSslModes.Name(SslMode)})"
        : $"SQLite {SqlitePath}";

    /// <summary>Keeps the password out of <c>ToString()</c>, which records would otherwise print.</summary>
    public override string ToString() => Describe();
}
