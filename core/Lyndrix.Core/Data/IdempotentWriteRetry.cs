using MySqlConnector;

namespace Lyndrix.Core.Data;

/// <summary>
/// Repeats a write that is safe to repeat (an upsert, an update to a fixed value) when MariaDB reports a condition that a
/// second attempt can get past: a deadlock or a Galera certification failure (1213: another node committed a conflicting
/// write first), a lock wait timeout, a Galera node outside the primary component (1047), or a connection that broke (a node
/// that went away: the pool's next connection goes to another node of <c>DB_HOST</c>). Writes that are not idempotent must
/// not use it: after a broken connection their outcome is unknown. The one exception is a write whose repeat can only lose,
/// never double (redeeming a one-time code: a repeat after an unknown outcome finds the code gone).
/// </summary>
internal static class IdempotentWriteRetry
{
    private const int Attempts = 6;
    private const int WsrepNotReady = 1047;

    public static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> write, TimeProvider time, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await write(cancellationToken).ConfigureAwait(false);
            }
            catch (MySqlException e) when (attempt < Attempts && IsRetryable(e) && !cancellationToken.IsCancellationRequested)
            {
                // 50, 200, 450, 800, 1250 ms: enough for the driver to mark a dead node down and for Galera to settle a view.
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt * attempt), time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public static Task RunAsync(Func<CancellationToken, Task> write, TimeProvider time, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            await write(ct).ConfigureAwait(false);
            return true;
        }, time, cancellationToken);

    public static bool IsRetryable(MySqlException e) => e.IsTransient || e.Number == WsrepNotReady
        || e.ErrorCode is MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout or MySqlErrorCode.UnableToConnectToHost
        || e.InnerException is IOException or System.Net.Sockets.SocketException;
}
