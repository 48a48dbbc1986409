using System.Collections.Concurrent;
using System.Data.Common;
using Lyndrix.Core.Data;
using Microsoft.Data.Sqlite;

namespace Lyndrix.Core.Tests.Data.Support;

/// <summary>
/// A connection source whose failures a test scripts: while <see cref="Failure"/> returns an exception, opening throws it;
/// otherwise it hands out an in-memory SQLite connection. Classification is the real one for the settings' dialect.
/// </summary>
internal sealed class ScriptedConnectionSource(DatabaseSettings settings) : IDatabaseConnectionSource
{
    private int _opens;
    private int _resets;

    /// <summary>Called on each open; a non-null result is thrown.</summary>
    public Func<Exception?> Failure { get; set; } = () => null;

    public int Opens => Volatile.Read(ref _opens);

    public int Resets => Volatile.Read(ref _resets);

    public ConcurrentQueue<string?> ConfiguredPasswords { get; } = new();

    public SqlDialect Dialect => SqliteDialect.Instance;

    public string Description => settings.Describe();

    public void Configure(string? password) => ConfiguredPasswords.Enqueue(password);

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _opens);
        if (Failure() is { } ex)
        {
            throw ex;
        }

        var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public Task<DatabaseFailure> ClassifyAsync(Exception exception, CancellationToken cancellationToken) =>
        Task.FromResult(settings.UsesMariaDb
            ? DatabaseFailureClassifier.ClassifyMariaDb(exception, settings) ?? DatabaseFailure.Transient("unreachable", "unreachable")
            : DatabaseFailureClassifier.ClassifySqlite(exception, settings));

    public Task ResetPoolAsync()
    {
        Interlocked.Increment(ref _resets);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
