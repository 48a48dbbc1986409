using System.Data.Common;
using MySqlConnector;

namespace Lyndrix.Core.Data;

/// <summary>
/// The one place that decides when a database write is tried again. A second attempt can get past a deadlock or a Galera
/// certification failure (1213: another node committed a conflicting write first), a lock wait timeout (1205), a Galera node
/// outside the primary component (1047), or a node that went away (the pool's next connection goes to another node of
/// <c>DB_HOST</c>). What may be repeated depends on the write:
/// <list type="bullet">
/// <item><see cref="IdempotentAsync{T}"/>: a write that is safe to repeat (an upsert, an update to a fixed value), after any of
/// those, even a connection broken mid-statement whose outcome is unknown; also a write whose repeat can only lose, never
/// double (redeeming a one-time code: a repeat after an unknown outcome finds the code gone).</item>
/// <item><see cref="OnceAsync{T}"/>: any other write (a new session, a new user, a counter), only after a failure that left
/// nothing committed: 1213, 1205 and 1047 roll the whole transaction back, and a connection that could not be opened sent
/// nothing. A connection that breaks during the write is not retried: the write may have committed, so the caller gets the
/// error (and the client, which knows what it asked for, decides).</item>
/// </list>
/// </summary>
internal static class WriteRetry
{
    private const int Attempts = 6;
    private const int WsrepNotReady = 1047;

    public static async Task<T> IdempotentAsync<T>(Func<CancellationToken, Task<T>> write, TimeProvider time, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await write(cancellationToken).ConfigureAwait(false);
            }
            catch (MySqlException e) when (attempt < Attempts && IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                await BackOffAsync(attempt, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public static Task IdempotentAsync(Func<CancellationToken, Task> write, TimeProvider time, CancellationToken cancellationToken) =>
        IdempotentAsync(async ct =>
        {
            await write(ct).ConfigureAwait(false);
            return true;
        }, time, cancellationToken);

    /// <summary>Opens a connection from <paramref name="source"/> and runs <paramref name="write"/>, which is safe to repeat, on
    /// it; any transient failure is tried again on a fresh connection.</summary>
    public static Task<T> IdempotentAsync<T>(IDatabaseConnectionSource source, Func<DbConnection, CancellationToken, Task<T>> write, TimeProvider time,
        CancellationToken cancellationToken) => RunAsync(source, write, IsTransient, time, cancellationToken);

    public static Task IdempotentAsync(IDatabaseConnectionSource source, Func<DbConnection, CancellationToken, Task> write, TimeProvider time,
        CancellationToken cancellationToken) => RunAsync(source, Returning(write), IsTransient, time, cancellationToken);

    /// <summary>Opens a connection from <paramref name="source"/> and runs <paramref name="write"/> on it (one transaction, or
    /// one autocommit statement); a failure that left nothing committed is tried again on a fresh connection.</summary>
    public static Task<T> OnceAsync<T>(IDatabaseConnectionSource source, Func<DbConnection, CancellationToken, Task<T>> write, TimeProvider time,
        CancellationToken cancellationToken) => RunAsync(source, write, LeftNothingCommitted, time, cancellationToken);

    public static Task OnceAsync(IDatabaseConnectionSource source, Func<DbConnection, CancellationToken, Task> write, TimeProvider time,
        CancellationToken cancellationToken) => RunAsync(source, Returning(write), LeftNothingCommitted, time, cancellationToken);

    /// <summary>Whether a second attempt may get past <paramref name="e"/> (the outcome of the first may be unknown).</summary>
    public static bool IsTransient(MySqlException e) => e.IsTransient || LeftNothingCommitted(e)
        || e.ErrorCode is MySqlErrorCode.UnableToConnectToHost
        || e.InnerException is IOException or System.Net.Sockets.SocketException;

    /// <summary>Whether the server rolled back everything of the transaction that failed with <paramref name="e"/>: a deadlock
    /// or certification failure (1213), a lock wait timeout (1205; the statement is rolled back and the caller's transaction
    /// is never committed), or a node that refused the statement because it is not in the primary component (1047).</summary>
    public static bool LeftNothingCommitted(MySqlException e) =>
        e.ErrorCode is MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout || e.Number == WsrepNotReady;

    // 50, 200, 450, 800, 1250 ms: enough for the driver to mark a dead node down and for Galera to settle a view.
    private static Task BackOffAsync(int attempt, TimeProvider time, CancellationToken cancellationToken) =>
        Task.Delay(TimeSpan.FromMilliseconds(50 * attempt * attempt), time, cancellationToken);

    private static async Task<T> RunAsync<T>(IDatabaseConnectionSource source, Func<DbConnection, CancellationToken, Task<T>> write,
        Func<MySqlException, bool> retryable, TimeProvider time, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            DbConnection connection;
            try
            {
                connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (MySqlException e) when (attempt < Attempts && IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                // Nothing was sent.
                await BackOffAsync(attempt, time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            await using (connection.ConfigureAwait(false))
            {
                try
                {
                    return await write(connection, cancellationToken).ConfigureAwait(false);
                }
                catch (MySqlException e) when (attempt < Attempts && retryable(e) && !cancellationToken.IsCancellationRequested)
                {
                }
            }

            await BackOffAsync(attempt, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static Func<DbConnection, CancellationToken, Task<bool>> Returning(Func<DbConnection, CancellationToken, Task> write) =>
        async (connection, ct) =>
        {
            await write(connection, ct).ConfigureAwait(false);
            return true;
        };
}
