using System.Security.Cryptography;
using Dapper;
using Lyndrix.Core.Data;

namespace Lyndrix.Core.Auth;

/// <summary>
/// One-time codes that carry a finished single sign-on from the callback to the client: the callback redirects with
/// <c>?code=</c> and the client exchanges it once for a bearer token through <c>POST /api/auth/token-exchange</c>, so no
/// token ever appears in a URL. Codes expire after a minute. They live in the database (table <c>sso_handoff_codes</c>, only
/// the code's hash), so a code issued by one host is redeemed on any other behind the same load balancer; a redemption is a
/// delete, so of two hosts redeeming one code at once exactly one wins (on Galera the other's delete fails certification).
/// </summary>
internal sealed class SsoHandoffCodes(IDatabaseConnectionSource source, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    public async Task<string> IssueAsync(string username, string provider, CancellationToken cancellationToken)
    {
        var code = SessionTokens.Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = UnixMillis.From(time.GetUtcNow());
        var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // Expired codes are swept as new ones are issued, so the table stays small.
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM `sso_handoff_codes` WHERE `expires_at` <= @Now", new { Now = now },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO `sso_handoff_codes` (`code_hash`, `username`, `provider`, `expires_at`) VALUES (@Hash, @Username, @Provider, @Expires)",
                new { Hash = SessionTokens.Hash(code), Username = username, Provider = provider, Expires = now + (long)Lifetime.TotalMilliseconds },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        return code;
    }

    /// <returns>The user and provider of a live code, which is used up; null for an unknown, expired or already used code.</returns>
    public async Task<(string Username, string Provider)?> RedeemAsync(string code, CancellationToken cancellationToken)
    {
        var hash = SessionTokens.Hash(code);
        var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            if (source.Dialect.Kind == SqlDialectKind.MariaDb)
            {
                // The code was probably written a moment ago through another host, maybe on another Galera node.
                await MariaDbDialect.RequireCausalReadsAsync(connection, cancellationToken).ConfigureAwait(false);
            }

            for (var attempt = 1; ; attempt++)
            {
                var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
                    "SELECT `username` AS Username, `provider` AS Provider, `expires_at` AS ExpiresAt FROM `sso_handoff_codes` WHERE `code_hash` = @Hash",
                    new { Hash = hash }, cancellationToken: cancellationToken)).ConfigureAwait(false);
                if (row is null)
                {
                    return null;
                }

                try
                {
                    // Whoever deletes the row redeems the code.
                    var deleted = await connection.ExecuteAsync(new CommandDefinition("DELETE FROM `sso_handoff_codes` WHERE `code_hash` = @Hash",
                        new { Hash = hash }, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    return deleted == 1 && row.ExpiresAt > UnixMillis.From(time.GetUtcNow()) ? (row.Username, row.Provider) : null;
                }
                catch (MySqlConnector.MySqlException e) when (e.ErrorCode == MySqlConnector.MySqlErrorCode.LockDeadlock && attempt < 5)
                {
                    // Galera aborted our delete for a conflicting write from another node: maybe another host redeemed the code,
                    // maybe not. Look again: a code that is gone was redeemed elsewhere; one still there is ours to try for.
                }
            }
        }
    }

    private sealed class Row
    {
        public string Username { get; set; } = "";
        public string Provider { get; set; } = "";
        public long ExpiresAt { get; set; }
    }
}
