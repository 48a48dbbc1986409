using System.Data.Common;
using Dapper;
using MySqlConnector;

namespace Lyndrix.Core.Data;

/// <summary>
/// A cluster-wide lock as a row of <c>cluster_locks</c> with a lease, for work that exactly one host may do at a time
/// (migrations). <c>GET_LOCK</c> is not enough: its locks live on one server and Galera does not replicate them, so two
/// hosts on two nodes would both get it. A row is replicated and certified: when two hosts on two nodes take the lease at
/// once, Galera lets one commit and fails the other with a deadlock (1213), which here means "not yours, wait".
/// <para>The lease is timed by the database server's clock (no host clock skew) and renewed at a third of its length while
/// held; a host that dies holding it blocks the others for at most one lease length. Release clears the row.</para>
/// </summary>
internal sealed class MariaDbLeaseLock : IAsyncDisposable
{
    public const string CreateTableSql =
        "CREATE TABLE IF NOT EXISTS `cluster_locks` (`name` VARCHAR(190) NOT NULL PRIMARY KEY, `holder` VARCHAR(190) NOT NULL, " +
        "`expires_at` BIGINT NOT NULL) " + MariaDbDialect.TableOptions;

    private const string ServerNowMs = "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private readonly DbConnection _connection;
    private readonly string _name;
    private readonly string _holder;
    private readonly TimeSpan _lease;
    private readonly CancellationTokenSource _stopRenewing = new();
    private Task _renewal = Task.CompletedTask;

    private MariaDbLeaseLock(DbConnection connection, string name, string holder, TimeSpan lease)
    {
        _connection = connection;
        _name = name;
        _holder = holder;
        _lease = lease;
    }

    public string Holder => _holder;

    /// <summary>Takes the lease named <paramref name="name"/>, waiting up to <paramref name="timeout"/> for its holder.</summary>
    /// <exception cref="TimeoutException">Another host held it for the whole wait; the message names it.</exception>
    public static async Task<MariaDbLeaseLock> AcquireAsync(DbConnection connection, string name, TimeSpan lease, TimeSpan timeout, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var holder = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";
        // Hosts on different Galera nodes create the row at once: all but one fail certification (1213). Both statements are
        // idempotent, so they are simply repeated.
        await WriteRetry.IdempotentAsync(async ct =>
        {
            await connection.ExecuteAsync(new CommandDefinition(CreateTableSql, cancellationToken: ct)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition("INSERT IGNORE INTO `cluster_locks` (`name`, `holder`, `expires_at`) VALUES (@Name, '', 0)",
                new { Name = name }, cancellationToken: ct)).ConfigureAwait(false);
        }, time, cancellationToken).ConfigureAwait(false);
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            if (await TryTakeAsync(connection, name, holder, lease, cancellationToken).ConfigureAwait(false))
            {
                var taken = new MariaDbLeaseLock(connection, name, holder, lease);
                taken._renewal = Task.Run(() => taken.RenewAsync(time), CancellationToken.None);
                return taken;
            }

            if (time.GetUtcNow() >= deadline)
            {
                var current = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                    "SELECT `holder` FROM `cluster_locks` WHERE `name` = @Name", new { Name = name }, cancellationToken: cancellationToken)).ConfigureAwait(false);
                throw new TimeoutException(
                    $"Another host ({current}) has held the cluster lock '{name}' for more than {timeout.TotalSeconds:0}s; this host tries again " +
                    $"later. A host that died holding it releases it when its lease of {lease.TotalSeconds:0}s runs out.");
            }

            await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopRenewing.CancelAsync().ConfigureAwait(false);
        await _renewal.ConfigureAwait(false);
        _stopRenewing.Dispose();
        try
        {
            await _connection.ExecuteAsync("UPDATE `cluster_locks` SET `holder` = '', `expires_at` = 0 WHERE `name` = @Name AND `holder` = @Holder",
                new { Name = _name, Holder = _holder }).ConfigureAwait(false);
        }
        catch (DbException)
        {
            // The connection is gone: the lease runs out on its own.
        }
    }

    /// <returns>True when this holder now has the lease (the row was free, expired, or already ours).</returns>
    private static async Task<bool> TryTakeAsync(DbConnection connection, string name, string holder, TimeSpan lease, CancellationToken cancellationToken)
    {
        try
        {
            // MySqlConnector counts matched rows, so re-taking our own unexpired lease counts as taken.
            var taken = await connection.ExecuteAsync(new CommandDefinition(
                $"UPDATE `cluster_locks` SET `holder` = @Holder, `expires_at` = {ServerNowMs} + @LeaseMs " +
                $"WHERE `name` = @Name AND (`expires_at` < {ServerNowMs} OR `holder` = @Holder)",
                new { Name = name, Holder = holder, LeaseMs = (long)lease.TotalMilliseconds }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return taken == 1;
        }
        catch (MySqlException e) when (e.ErrorCode is MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout)
        {
            // Galera: another node's host took it in the same instant and certified first.
            return false;
        }
    }

    private async Task RenewAsync(TimeProvider time)
    {
        // The holding connection is busy with the work the lock protects: renew over a connection of its own.
        var renewer = ((MySqlConnection)_connection).Clone();
        await using (renewer.ConfigureAwait(false))
        {
            try
            {
                while (true)
                {
                    await Task.Delay(_lease / 3, time, _stopRenewing.Token).ConfigureAwait(false);
                    try
                    {
                        if (renewer.State != System.Data.ConnectionState.Open)
                        {
                            await renewer.OpenAsync(_stopRenewing.Token).ConfigureAwait(false);
                        }

                        await TryTakeAsync(renewer, _name, _holder, _lease, _stopRenewing.Token).ConfigureAwait(false);
                    }
                    catch (DbException)
                    {
                        // Try again at the next interval; the lease still has two thirds to run.
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
