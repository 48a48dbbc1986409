using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Lyndrix.Core.Data;

/// <summary>The embedded database: one SQLite file under <c>STORAGE_DIR</c>, readable by the host's user only.</summary>
internal sealed class SqliteConnectionSource(DatabaseSettings settings) : IDatabaseConnectionSource
{
    private volatile string? _connectionString;

    public SqlDialect Dialect => SqliteDialect.Instance;

    public string Description => settings.Describe();

    public static string BuildConnectionString(DatabaseSettings settings) => new SqliteConnectionStringBuilder
    {
        DataSource = settings.SqlitePath,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        ForeignKeys = true,
        // Also how long a writer waits for a lock held by another connection.
        DefaultTimeout = (int)Math.Max(1, Math.Ceiling(settings.ConnectTimeout.TotalSeconds)),
    }.ToString();

    public void Configure(string? password)
    {
        var directory = Path.GetDirectoryName(settings.SqlitePath)!;
        Directory.CreateDirectory(directory);
        if (!File.Exists(settings.SqlitePath))
        {
            // Created empty with owner-only permissions: it holds password hashes and session token hashes.
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            try
            {
                using var _ = new FileStream(settings.SqlitePath, options);
            }
            catch (IOException) when (File.Exists(settings.SqlitePath))
            {
                // Another process created it first.
            }
        }

        _connectionString = BuildConnectionString(settings);
    }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connectionString = _connectionString ?? throw new DatabaseUnavailableException(
            "The database is not connected yet: it connects after the secret store has opened (vault:opened). Wait for db:connected.");
        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public Task<DatabaseFailure> ClassifyAsync(Exception exception, CancellationToken cancellationToken) =>
        Task.FromResult(exception is DatabaseConfigurationException config
            ? DatabaseFailure.Permanent("config_error", config.Message)
            : DatabaseFailureClassifier.ClassifySqlite(exception, settings));

    public Task ResetPoolAsync()
    {
        ClearPool();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        ClearPool();
        return ValueTask.CompletedTask;
    }

    // Only this file's pool: other SQLite users in the process (plugins) keep theirs.
    private void ClearPool()
    {
        if (_connectionString is { } connectionString)
        {
            using var connection = new SqliteConnection(connectionString);
            SqliteConnection.ClearPool(connection);
        }
    }
}
