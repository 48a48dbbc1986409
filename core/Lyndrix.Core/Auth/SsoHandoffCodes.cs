using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Lyndrix.Core.Data;

namespace Lyndrix.Core.Auth;

/// <summary>
/// One-time codes that carry a finished single sign-on from the callback to the client: the callback redirects with
/// <c>?code=</c> and the client exchanges it once for a bearer token through <c>POST /api/auth/token-exchange</c>, so no
/// token ever appears in a URL. Codes expire after a minute. They live in the database (table <c>sso_handoff_codes</c>, only
/// the code's hash), so a code issued by one host is redeemed on any other behind the same load balancer; a redemption is one
/// atomic delete that returns the row, so of two hosts redeeming one code at once exactly one wins (see <see cref="RedeemAsync"/>).
/// </summary>
internal sealed class SsoHandoffCodes(IDatabaseConnectionSource source, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    public async Task<string> IssueAsync(string username, string provider, CancellationToken cancellationToken)
    {
        var code = SessionTokens.Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = UnixMillis.From(time.GetUtcNow());
        // A new code is inserted once (a repeat is only tried after a failure that left nothing committed); the sweep before it
        // is safe to repeat.
        await WriteRetry.OnceAsync(source, async (connection, ct) =>
        {
            // Expired codes are swept as new ones are issued, so the table stays small.
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM `sso_handoff_codes` WHERE `expires_at` <= @Now", new { Now = now },
                cancellationToken: ct)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO `sso_handoff_codes` (`code_hash`, `username`, `provider`, `expires_at`) VALUES (@Hash, @Username, @Provider, @Expires)",
                new { Hash = SessionTokens.Hash(code), Username = username, Provider = provider, Expires = now + (long)Lifetime.TotalMilliseconds },
                cancellationToken: ct)).ConfigureAwait(false);
        }, time, cancellationToken).ConfigureAwait(false);
        return code;
    }

    /// <returns>The user and provider of a live code, which is used up; null for an unknown, expired or already used code.</returns>
    /// <remarks>
    /// One statement both finds and removes the code (<c>DELETE … RETURNING</c>, MariaDB and SQLite alike), inside a transaction
    /// whose commit decides: a code counts as redeemed only when the delete that returned it committed. On Galera two hosts
    /// deleting one code through different nodes both see the row, and certification lets exactly one commit; the other's
    /// commit fails with 1213 (the server never retries a statement of an explicit transaction on its own, unlike an
    /// autocommit one), and its next attempt, which waits for the winner's delete (<see cref="CausalWait.Reads"/> makes the
    /// BEGIN wait), finds nothing. Retrying is safe for every transient failure, even a connection lost during the commit:
    /// the database lets at most one attempt have the code, so the worst outcome is a code used up without a token, and the
    /// user signs in again.
    /// </remarks>
    public Task<(string Username, string Provider)?> RedeemAsync(string code, CancellationToken cancellationToken)
    {
        var hash = SessionTokens.Hash(code);
        return WriteRetry.IdempotentAsync(source, (connection, ct) => TryRedeemAsync(connection, hash, ct), time, cancellationToken);
    }

    private async Task<(string Username, string Provider)?> TryRedeemAsync(DbConnection connection, string hash, CancellationToken cancellationToken)
    {
        if (source.Dialect.Kind == SqlDialectKind.MariaDb)
        {
            // The code was probably written a moment ago through another host, maybe on another Galera node.
            await MariaDbDialect.RequireCausalWaitAsync(connection, CausalWait.Reads | CausalWait.UpdatesAndDeletes, cancellationToken)
                .ConfigureAwait(false);
        }

        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
                "DELETE FROM `sso_handoff_codes` WHERE `code_hash` = @Hash " +
                "RETURNING `username` AS Username, `provider` AS Provider, `expires_at` AS ExpiresAt",
                new { Hash = hash }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return row is not null && row.ExpiresAt > UnixMillis.From(time.GetUtcNow()) ? (row.Username, row.Provider) : null;
        }
    }

    private sealed class Row
    {
        public string Username { get; set; } = "";
        public string Provider { get; set; } = "";
        public long ExpiresAt { get; set; }
    }
}
