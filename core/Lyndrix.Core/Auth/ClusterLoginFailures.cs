using System.Security.Cryptography;
using System.Text;
using Dapper;
using Lyndrix.Core.Data;

namespace Lyndrix.Core.Auth;

/// <summary>
/// The cluster-wide half of login throttling: every host's failed sign-ins of an account, in the database (table
/// <c>login_failures</c>), so <c>LYNDRIX_LOGIN_MAX_FAILURES_PER_USER</c> per window holds for the account across all hosts
/// behind a load balancer, not per host. <see cref="LoginThrottle"/> keeps the per-host parts (the per-account turn, the
/// per-client limit and the sign-ins known per client).
/// <list type="bullet">
/// <item>One row per failure (a random id), never a shared counter row: hosts on different Galera nodes insert without
/// certification conflicts, and a failure is inserted once (<see cref="WriteRetry.OnceAsync{T}"/>).</item>
/// <item>The account is stored as the SHA-256 of its throttle key: a password typed into the username field is not kept.</item>
/// <item>Reads wait for the node to apply what other nodes committed (<c>wsrep_sync_wait</c>), so a failure recorded through
/// one host counts at once on every other.</item>
/// <item>A success clears the account's failures everywhere. Rows older than the window are swept: the account's own with each
/// new failure, all others at most once a minute per host.</item>
/// </list>
/// </summary>
internal sealed class ClusterLoginFailures(IDatabaseConnectionSource source, AuthSettings settings, TimeProvider time)
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private long _nextSweep;

    /// <returns>Null when the account may try; otherwise how long until its oldest counted failure leaves the window.</returns>
    public async Task<TimeSpan?> RetryAfterAsync(string userKey, CancellationToken cancellationToken)
    {
        var now = UnixMillis.From(time.GetUtcNow());
        var window = (long)settings.ThrottleWindow.TotalMilliseconds;
        var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            if (source.Dialect.Kind == SqlDialectKind.MariaDb)
            {
                await MariaDbDialect.RequireCausalReadsAsync(connection, cancellationToken).ConfigureAwait(false);
            }

            // The newest MaxFailuresPerUser failures in the window: when there are that many, the account may try again once
            // the oldest of them leaves the window.
            var recent = (await connection.QueryAsync<long>(new CommandDefinition(
                "SELECT `failed_at` FROM `login_failures` WHERE `account` = @Account AND `failed_at` > @Since ORDER BY `failed_at` DESC LIMIT @Limit",
                new { Account = Account(userKey), Since = now - window, Limit = settings.MaxFailuresPerUser },
                cancellationToken: cancellationToken)).ConfigureAwait(false)).ToArray();
            return recent.Length < settings.MaxFailuresPerUser ? null : TimeSpan.FromMilliseconds(Math.Max(1, recent[^1] + window - now));
        }
    }

    /// <summary>Records a failed attempt. Not cancellable on purpose: a guesser who drops the connection still pays.</summary>
    public async Task FailedAsync(string userKey)
    {
        var now = UnixMillis.From(time.GetUtcNow());
        var since = now - (long)settings.ThrottleWindow.TotalMilliseconds;
        var account = Account(userKey);
        await WriteRetry.OnceAsync(source, async (connection, ct) =>
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO `login_failures` (`id`, `account`, `failed_at`) VALUES (@Id, @Account, @At)",
                new { Id = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)), Account = account, At = now }, cancellationToken: ct)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM `login_failures` WHERE `account` = @Account AND `failed_at` <= @Since", new { Account = account, Since = since },
                cancellationToken: ct)).ConfigureAwait(false);
        }, time, CancellationToken.None).ConfigureAwait(false);

        if (Interlocked.Read(ref _nextSweep) <= now)
        {
            Interlocked.Exchange(ref _nextSweep, now + (long)SweepInterval.TotalMilliseconds);
            await WriteRetry.IdempotentAsync(source, (connection, ct) => connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM `login_failures` WHERE `failed_at` <= @Since", new { Since = since }, cancellationToken: ct)),
                time, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>A successful sign-in forgets the account's failures on every host.</summary>
    public Task SucceededAsync(string userKey, CancellationToken cancellationToken) =>
        WriteRetry.IdempotentAsync(source, (connection, ct) => connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM `login_failures` WHERE `account` = @Account", new { Account = Account(userKey) }, cancellationToken: ct)),
            time, cancellationToken);

    private static string Account(string userKey) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userKey)));
}
