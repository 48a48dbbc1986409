using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using MySqlConnector;

namespace Lyndrix.Core.Data;

/// <summary>
/// Classifies connection failures by error code and exception type, never by message text (the original matched
/// substrings and so retried DNS failures forever). Permanent failures come with a message that says what to fix.
/// </summary>
internal static class DatabaseFailureClassifier
{
    private const string SecretHint = "DB_PASSWORD (the secret store's db_password at " + DatabaseModule.SecretPath + " overrides it)";

    // MariaDB error numbers that no retry can fix. Compared as numbers: some (1698) have no MySqlErrorCode name.
    private const int DatabaseAccessDenied = 1044;
    private const int AccessDenied = 1045;
    private const int UnknownDatabase = 1049;
    private const int HostIsBlocked = 1129;
    private const int HostNotPrivileged = 1130;
    private const int NotSupportedAuthMode = 1251;
    private const int AccessDeniedNoPassword = 1698;
    private const int PasswordExpired = 1820;
    private const int PasswordExpiredCannotLogin = 1862;
    private const int AccountLocked = 3118;
    private const int MariaDbAccountLocked = 4151;

    // Galera: a node outside the primary component (partitioned, joining, desynced) answers "WSREP has not yet prepared node
    // for application use" to every statement.
    private const int WsrepNotReady = 1047;

    /// <summary>
    /// Classifies a MariaDB failure; null when the exception alone cannot tell, which is the driver's
    /// "unable to connect" (1042) without a cause: it reports refused ports, timeouts, unresolvable names and a server
    /// without TLS alike. The caller then asks <see cref="MariaDbReachabilityProbe"/> and calls <see cref="FromProbe"/>.
    /// </summary>
    public static DatabaseFailure? ClassifyMariaDb(Exception exception, DatabaseSettings s)
    {
        if (Common(exception, s) is { } common)
        {
            return common;
        }

        var mysql = Find<MySqlException>(exception);
        if (mysql is null)
        {
            return DatabaseFailure.Transient("error", $"The database at {Endpoint(s)} failed ({exception.GetType().Name}).");
        }

        if (mysql.Number == (int)MySqlErrorCode.UnableToConnectToHost)
        {
            return mysql.InnerException is null ? null : DatabaseFailure.Transient("unreachable", $"Cannot reach MariaDB at {Endpoint(s)}.");
        }

        if (mysql.Number == 0 && mysql.InnerException is IOException)
        {
            // The driver reports an unreadable DB_SSL_CA / client certificate as a code-less error wrapping the I/O error.
            return DatabaseFailure.Permanent("tls_config",
                $"The TLS files for MariaDB cannot be read ({mysql.InnerException.GetType().Name}). Check that DB_SSL_CA names a readable PEM file.");
        }

        return FromMariaDbCode(mysql.Number, s);
    }

    /// <summary>Classifies a MariaDB server error number (also used for an error packet in the server's greeting).</summary>
    public static DatabaseFailure FromMariaDbCode(int code, DatabaseSettings s) => code switch
    {
        AccessDenied or AccessDeniedNoPassword => DatabaseFailure.Permanent("access_denied",
            $"MariaDB at {Endpoint(s)} refused the login of user '{s.User}' (error {code}, access denied). " +
            $"Check DB_USER and {SecretHint}, then restart the host."),
        DatabaseAccessDenied => DatabaseFailure.Permanent("database_access_denied",
            $"User '{s.User}' may not use database '{s.Name}' on {Endpoint(s)} (error {code}). " +
            $"Grant access on the server (GRANT ALL ON `{s.Name}`.* TO '{s.User}'@'%') or set DB_NAME to a database the user may use, then restart the host."),
        UnknownDatabase => DatabaseFailure.Permanent("unknown_database",
            $"Database '{s.Name}' does not exist on {Endpoint(s)} (error {code}). " +
            $"Create it (CREATE DATABASE `{s.Name}` CHARACTER SET utf8mb4) or set DB_NAME to an existing database, then restart the host."),
        HostNotPrivileged => DatabaseFailure.Permanent("host_not_allowed",
            $"MariaDB at {Endpoint(s)} does not let user '{s.User}' connect from this machine (error {code}). " +
            $"Create the account for this client's host (for example '{s.User}'@'%'), then restart the host."),
        HostIsBlocked => DatabaseFailure.Permanent("host_blocked",
            $"MariaDB at {Endpoint(s)} blocked this machine after too many failed connections (error {code}). " +
            "Run FLUSH HOSTS (mariadb-admin flush-hosts) on the server, then restart the host."),
        NotSupportedAuthMode => DatabaseFailure.Permanent("auth_method",
            $"MariaDB at {Endpoint(s)} asks for an authentication method this client does not support (error {code}). " +
            $"Use mysql_native_password or ed25519 for user '{s.User}'."),
        PasswordExpired or PasswordExpiredCannotLogin => DatabaseFailure.Permanent("password_expired",
            $"The password of MariaDB user '{s.User}' has expired (error {code}). Set a new one on the server and in {SecretHint}, then restart the host."),
        AccountLocked or MariaDbAccountLocked => DatabaseFailure.Permanent("account_locked",
            $"MariaDB account '{s.User}' is locked (error {code}). Unlock it on the server (ALTER USER ... ACCOUNT UNLOCK), then restart the host."),
        (int)MySqlErrorCode.ConnectionCountError or (int)MySqlErrorCode.TooManyUserConnections or (int)MySqlErrorCode.UserLimitReached =>
            DatabaseFailure.Transient("too_many_connections", $"MariaDB at {Endpoint(s)} has no free connection slot (error {code})."),
        (int)MySqlErrorCode.ServerShutdown => DatabaseFailure.Transient("server_shutdown", $"MariaDB at {Endpoint(s)} is shutting down (error {code})."),
        WsrepNotReady => DatabaseFailure.Transient("cluster_not_ready",
            $"A Galera node of {Endpoint(s)} is not in the cluster's primary component (error {code}, WSREP not ready); the host retries, " +
            "and new connections go to the other nodes listed in DB_HOST."),
        _ => DatabaseFailure.Transient("server_error", $"MariaDB at {Endpoint(s)} answered with error {code}."),
    };

    /// <summary>Classifies what the reachability probe found after an uninformative "unable to connect".</summary>
    public static DatabaseFailure FromProbe(MariaDbProbeResult probe, DatabaseSettings s) => probe.Outcome switch
    {
        MariaDbProbeOutcome.HostNotFound => DatabaseFailure.Permanent("host_not_found",
            $"DB_HOST '{s.Host}' does not resolve to an address (DNS: {probe.SocketError}). Check the host name in DB_HOST, then restart the host."),
        MariaDbProbeOutcome.DnsUnavailable => DatabaseFailure.Transient("dns",
            $"The name '{s.Host}' could not be resolved right now (DNS: {probe.SocketError})."),
        MariaDbProbeOutcome.Refused => DatabaseFailure.Transient("refused",
            $"Nothing accepts connections at {Endpoint(s)} (connection refused); the server may be starting or stopped."),
        MariaDbProbeOutcome.TimedOut => DatabaseFailure.Transient("timeout",
            $"No answer from {Endpoint(s)} within DB_CONNECT_TIMEOUT ({s.ConnectTimeout.TotalSeconds:0.#}s)."),
        MariaDbProbeOutcome.NetworkError => DatabaseFailure.Transient("network",
            $"The network path to {Endpoint(s)} failed ({probe.SocketError})."),
        MariaDbProbeOutcome.ServerError when probe.ServerErrorCode is { } code => FromMariaDbCode(code, s),
        MariaDbProbeOutcome.Greeted when DatabaseSslModes.RequiresTls(s.SslMode) && !probe.ServerOffersTls => DatabaseFailure.Permanent("tls_not_offered",
            $"DB_SSL_MODE={DatabaseSslModes.Name(s.SslMode)} requires TLS, but the MariaDB server at {Endpoint(s)} does not offer it. " +
            "Enable TLS on the server (ssl_cert and ssl_key) or set DB_SSL_MODE=preferred, then restart the host."),
        _ => DatabaseFailure.Transient("unreachable", $"MariaDB at {Endpoint(s)} accepted TCP but the connection failed."),
    };

    public static DatabaseFailure ClassifySqlite(Exception exception, DatabaseSettings s)
    {
        if (Common(exception, s) is { } common)
        {
            return common;
        }

        var storage = $"the SQLite database {s.SqlitePath}";
        if (Find<SqliteException>(exception) is { } sqlite)
        {
            // Primary result codes: https://sqlite.org/rescode.html
            return sqlite.SqliteErrorCode switch
            {
                5 or 6 => DatabaseFailure.Transient("busy", $"{Capital(storage)} is locked by another connection (SQLite error {sqlite.SqliteErrorCode})."),
                3 or 8 or 23 => DatabaseFailure.Permanent("storage_not_writable",
                    $"{Capital(storage)} cannot be written (SQLite error {sqlite.SqliteErrorCode}). Make STORAGE_DIR and the file writable by the host's user, then restart."),
                14 => DatabaseFailure.Permanent("storage_cannot_open",
                    $"{Capital(storage)} cannot be opened (SQLite error 14). Check that STORAGE_DIR exists and is writable by the host's user, then restart."),
                11 or 26 => DatabaseFailure.Permanent("storage_corrupt",
                    $"{Capital(storage)} is damaged or not a SQLite database (SQLite error {sqlite.SqliteErrorCode}). Restore it from a backup or move it away, then restart."),
                13 => DatabaseFailure.Transient("disk_full", $"The disk holding {storage} is full (SQLite error 13); free space and the host retries."),
                _ => DatabaseFailure.Transient("sqlite_error", $"{Capital(storage)} failed (SQLite error {sqlite.SqliteErrorCode})."),
            };
        }

        if (Find<UnauthorizedAccessException>(exception) is not null || Find<DirectoryNotFoundException>(exception) is not null)
        {
            return DatabaseFailure.Permanent("storage_not_writable",
                $"{Capital(storage)} cannot be created: STORAGE_DIR is missing or not writable by the host's user. Fix the directory, then restart.");
        }

        return DatabaseFailure.Transient("error", $"{Capital(storage)} failed ({exception.GetType().Name}).");
    }

    /// <summary>Failures with the same meaning for every dialect.</summary>
    private static DatabaseFailure? Common(Exception exception, DatabaseSettings s)
    {
        if (Find<AuthenticationException>(exception) is not null)
        {
            return DatabaseFailure.Permanent("tls_handshake",
                $"The TLS handshake with {Endpoint(s)} failed: the server certificate was rejected (DB_SSL_MODE={DatabaseSslModes.Name(s.SslMode)}). " +
                "Point DB_SSL_CA at the CA that signed the server certificate (verify_full also needs DB_HOST to match the certificate), then restart the host.");
        }

        if (Find<CryptographicException>(exception) is not null)
        {
            return DatabaseFailure.Permanent("tls_config",
                "A TLS certificate for the database cannot be loaded. Check that DB_SSL_CA names a PEM file with the CA certificate, then restart the host.");
        }

        if (Find<SocketException>(exception) is { } socket)
        {
            return socket.SocketErrorCode switch
            {
                SocketError.HostNotFound or SocketError.NoData => DatabaseFailure.Permanent("host_not_found",
                    $"DB_HOST '{s.Host}' does not resolve to an address (DNS: {socket.SocketErrorCode}). Check the host name in DB_HOST, then restart the host."),
                SocketError.ConnectionRefused => DatabaseFailure.Transient("refused", $"Nothing accepts connections at {Endpoint(s)} (connection refused)."),
                SocketError.TimedOut => DatabaseFailure.Transient("timeout", $"No answer from {Endpoint(s)} in time."),
                _ => DatabaseFailure.Transient("network", $"The connection to {Endpoint(s)} failed ({socket.SocketErrorCode})."),
            };
        }

        if (Find<TimeoutException>(exception) is not null || exception is OperationCanceledException)
        {
            return DatabaseFailure.Transient("timeout", $"The database at {Endpoint(s)} did not answer within {s.ConnectTimeout.TotalSeconds:0.#}s.");
        }

        if (Find<MySqlException>(exception) is null && Find<EndOfStreamException>(exception) is not null)
        {
            return DatabaseFailure.Transient("lost_connection", $"The connection to {Endpoint(s)} was lost.");
        }

        return null;
    }

    private static string Endpoint(DatabaseSettings s) => s.UsesMariaDb ? $"{s.Host}:{s.Port}" : s.SqlitePath;

    private static string Capital(string text) => char.ToUpperInvariant(text[0]) + text[1..];

    private static T? Find<T>(Exception exception)
        where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }

            if (e is AggregateException { InnerExceptions.Count: > 0 } aggregate && Find<T>(aggregate.InnerExceptions[0]) is { } inner)
            {
                return inner;
            }
        }

        return null;
    }
}
