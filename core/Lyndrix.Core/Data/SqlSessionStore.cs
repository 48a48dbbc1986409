using System.Data.Common;
using Dapper;

namespace Lyndrix.Core.Data;

/// <summary><see cref="ISessionStore"/> over <c>sessions</c>. Callers pass the token's hash; the token itself is never stored.
/// A new session is tried again only after a failure that left nothing committed; a revocation or a touch (updates to fixed
/// values) also after a lost connection (see <see cref="WriteRetry"/>).</summary>
internal sealed class SqlSessionStore(IDatabaseConnectionSource source, TimeProvider? time = null) : ISessionStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private const string Columns =
        "`id` AS Id, `username` AS Username, `token_hash` AS TokenHash, `label` AS Label, `created_at` AS CreatedAt, " +
        "`expires_at` AS ExpiresAt, `revoked_at` AS RevokedAt, `last_used_at` AS LastUsedAt";

    public async Task CreateAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        RecordValidation.Required(session.Id, "The session id", 64);
        RecordValidation.Required(session.Username, "The session's username", 190);
        RecordValidation.Required(session.TokenHash, "The token hash", 190);
        ArgumentNullException.ThrowIfNull(session.Label, "The session label");
        RecordValidation.Optional(session.Label, "The session label", 255);
        if (session.ExpiresAt < session.CreatedAt)
        {
            throw new ArgumentException($"Session '{session.Id}' would expire ({session.ExpiresAt:O}) before it is created ({session.CreatedAt:O}).");
        }

        try
        {
            await WriteRetry.OnceAsync(source, (connection, ct) => connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO `sessions` (`id`, `username`, `token_hash`, `label`, `created_at`, `expires_at`, `revoked_at`, `last_used_at`) " +
                "VALUES (@Id, @Username, @TokenHash, @Label, @CreatedAt, @ExpiresAt, @RevokedAt, @LastUsedAt)",
                new
                {
                    session.Id,
                    session.Username,
                    session.TokenHash,
                    session.Label,
                    CreatedAt = UnixMillis.From(session.CreatedAt),
                    ExpiresAt = UnixMillis.From(session.ExpiresAt),
                    RevokedAt = UnixMillis.From(session.RevokedAt),
                    LastUsedAt = UnixMillis.From(session.LastUsedAt),
                }, cancellationToken: ct)), _time, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex) when (source.Dialect.IsUniqueViolation(ex))
        {
            // The message names neither the token hash nor anything derived from it.
            throw new InvalidOperationException($"A session with id '{session.Id}' or the same token already exists; generate a new id and token.", ex);
        }
    }

    public async Task<SessionRecord?> FindByTokenHashAsync(string tokenHash, CancellationToken cancellationToken)
    {
        RecordValidation.Required(tokenHash, "The token hash", 190);
        var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
                $"SELECT {Columns} FROM `sessions` WHERE `token_hash` = @TokenHash", new { TokenHash = tokenHash },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            return row?.ToRecord();
        }
    }

    public async Task<IReadOnlyList<SessionRecord>> ListForUserAsync(string username, CancellationToken cancellationToken)
    {
        RecordValidation.Required(username, "The username", 190);
        var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var rows = await connection.QueryAsync<Row>(new CommandDefinition(
                $"SELECT {Columns} FROM `sessions` WHERE `username` = @Username ORDER BY `created_at`, `id`", new { Username = username },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => r.ToRecord()).ToArray();
        }
    }

    public async Task<bool> RevokeAsync(string id, DateTimeOffset revokedAt, CancellationToken cancellationToken)
    {
        RecordValidation.Required(id, "The session id", 64);
        // A second revocation keeps the first time, so a repeat is harmless. MySqlConnector reports matched rows
        // (UseAffectedRows=false), like SQLite.
        var matched = await WriteRetry.IdempotentAsync(source, (connection, ct) => connection.ExecuteAsync(new CommandDefinition(
            "UPDATE `sessions` SET `revoked_at` = COALESCE(`revoked_at`, @RevokedAt) WHERE `id` = @Id",
            new { Id = id, RevokedAt = UnixMillis.From(revokedAt) }, cancellationToken: ct)), _time, cancellationToken).ConfigureAwait(false);
        return matched > 0;
    }

    public async Task TouchAsync(string id, DateTimeOffset lastUsedAt, CancellationToken cancellationToken)
    {
        RecordValidation.Required(id, "The session id", 64);
        await WriteRetry.IdempotentAsync(source, (connection, ct) => connection.ExecuteAsync(new CommandDefinition(
            "UPDATE `sessions` SET `last_used_at` = @LastUsedAt WHERE `id` = @Id",
            new { Id = id, LastUsedAt = UnixMillis.From(lastUsedAt) }, cancellationToken: ct)), _time, cancellationToken).ConfigureAwait(false);
    }

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string Username { get; set; } = "";
        public string TokenHash { get; set; } = "";
        public string Label { get; set; } = "";
        public long CreatedAt { get; set; }
        public long ExpiresAt { get; set; }
        public long? RevokedAt { get; set; }
        public long? LastUsedAt { get; set; }

        public SessionRecord ToRecord() => new(Id, Username, TokenHash, Label, UnixMillis.To(CreatedAt), UnixMillis.To(ExpiresAt),
            UnixMillis.To(RevokedAt), UnixMillis.To(LastUsedAt));
    }
}
