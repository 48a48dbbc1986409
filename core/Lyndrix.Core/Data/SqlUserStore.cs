using System.Data.Common;
using Dapper;

namespace Lyndrix.Core.Data;

/// <summary>
/// <see cref="IUserStore"/> over <c>users</c>. A user's roles are memberships (<c>user_groups</c>) in groups of the same
/// name (<c>groups</c>, created on first use); they come back sorted by name. Usernames compare case-sensitively in
/// both dialects (binary collation).
/// </summary>
internal sealed class SqlUserStore(IDatabaseConnectionSource source, TimeProvider time) : IUserStore
{
    private const string Columns =
        "`id` AS Id, `username` AS Username, `password_hash` AS PasswordHash, `full_name` AS FullName, `email` AS Email, " +
        "`is_admin` AS IsAdmin, `bootstrap_marker` AS BootstrapMarker, `created_at` AS CreatedAt";

    public async Task<UserRecord?> FindAsync(string username, CancellationToken cancellationToken)
    {
        RecordValidation.Required(username, "The username", 190);
        var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
                $"SELECT {Columns} FROM `users` WHERE `username` = @Username", new { Username = username },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (row is null)
            {
                return null;
            }

            var roles = await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT `group_name` FROM `user_groups` WHERE `user_id` = @Id ORDER BY `group_name`", new { row.Id },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            return row.ToRecord(roles.ToArray());
        }
    }

    public async Task<IReadOnlyList<UserRecord>> ListAsync(CancellationToken cancellationToken)
    {
        var connection = await source.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var rows = await connection.QueryAsync<Row>(new CommandDefinition(
                $"SELECT {Columns} FROM `users` ORDER BY `username`", cancellationToken: cancellationToken)).ConfigureAwait(false);
            var memberships = await connection.QueryAsync<Membership>(new CommandDefinition(
                "SELECT `user_id` AS UserId, `group_name` AS GroupName FROM `user_groups` ORDER BY `group_name`",
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            var rolesByUser = memberships.ToLookup(m => m.UserId, m => m.GroupName, StringComparer.Ordinal);
            return rows.Select(r => r.ToRecord(rolesByUser[r.Id].ToArray())).ToArray();
        }
    }

    public async Task CreateAsync(UserRecord user, CancellationToken cancellationToken)
    {
        var roles = Validate(user);
        // One transaction, tried again only after a failure that left nothing of it committed (see WriteRetry).
        await WriteRetry.OnceAsync(source, async (connection, cancellationToken) =>
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                try
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        "INSERT INTO `users` (`id`, `username`, `password_hash`, `full_name`, `email`, `is_admin`, `bootstrap_marker`, `created_at`) " +
                        "VALUES (@Id, @Username, @PasswordHash, @FullName, @Email, @IsAdmin, @BootstrapMarker, @CreatedAt)",
                        Parameters(user), transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                }
                catch (DbException ex) when (source.Dialect.IsUniqueViolation(ex))
                {
                    await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
                    var taken = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                        "SELECT COUNT(*) FROM `users` WHERE `username` = @Username", new { user.Username }, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    throw new InvalidOperationException(taken > 0
                        ? $"A user named '{user.Username}' already exists; choose another username or update that user."
                        : $"A user with id '{user.Id}' already exists; give the new user another id.", ex);
                }

                await SetRolesAsync(connection, transaction, user.Id, roles, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }, time, cancellationToken).ConfigureAwait(false);
    }

    public async Task UpdateAsync(UserRecord user, CancellationToken cancellationToken)
    {
        var roles = Validate(user);
        await WriteRetry.OnceAsync(source, async (connection, cancellationToken) =>
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                int changed;
                try
                {
                    changed = await connection.ExecuteAsync(new CommandDefinition(
                        "UPDATE `users` SET `username` = @Username, `password_hash` = @PasswordHash, `full_name` = @FullName, `email` = @Email, " +
                        "`is_admin` = @IsAdmin, `bootstrap_marker` = @BootstrapMarker, `created_at` = @CreatedAt WHERE `id` = @Id",
                        Parameters(user), transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                }
                catch (DbException ex) when (source.Dialect.IsUniqueViolation(ex))
                {
                    throw new InvalidOperationException(
                        $"Cannot rename user '{user.Id}' to '{user.Username}': another user has that username.", ex);
                }

                if (changed == 0)
                {
                    throw new InvalidOperationException($"There is no user with id '{user.Id}' to update; create it first.");
                }

                await connection.ExecuteAsync(new CommandDefinition("DELETE FROM `user_groups` WHERE `user_id` = @Id", new { user.Id }, transaction,
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
                await SetRolesAsync(connection, transaction, user.Id, roles, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }, time, cancellationToken).ConfigureAwait(false);
    }

    private async Task SetRolesAsync(DbConnection connection, DbTransaction transaction, string userId, IReadOnlyList<string> roles, CancellationToken cancellationToken)
    {
        var now = UnixMillis.From(time.GetUtcNow());
        foreach (var role in roles)
        {
            await connection.ExecuteAsync(new CommandDefinition(source.Dialect.InsertGroupIfMissingSql, new { Name = role, CreatedAt = now }, transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO `user_groups` (`user_id`, `group_name`) VALUES (@UserId, @GroupName)", new { UserId = userId, GroupName = role }, transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    private static object Parameters(UserRecord user) => new
    {
        user.Id,
        user.Username,
        user.PasswordHash,
        user.FullName,
        user.Email,
        user.IsAdmin,
        user.BootstrapMarker,
        CreatedAt = UnixMillis.From(user.CreatedAt),
    };

    private static IReadOnlyList<string> Validate(UserRecord user)
    {
        ArgumentNullException.ThrowIfNull(user);
        RecordValidation.Required(user.Id, "The user id", 64);
        RecordValidation.Required(user.Username, "The username", 190);
        RecordValidation.Optional(user.FullName, $"The full name of '{user.Username}'", 255);
        RecordValidation.Optional(user.Email, $"The email of '{user.Username}'", 255);
        var roles = (user.Roles ?? []).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var role in roles)
        {
            RecordValidation.Required(role, $"A role of '{user.Username}'", 190);
        }

        return roles;
    }

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string Username { get; set; } = "";
        public string? PasswordHash { get; set; }
        public string? FullName { get; set; }
        public string? Email { get; set; }
        public bool IsAdmin { get; set; }
        public string? BootstrapMarker { get; set; }
        public long CreatedAt { get; set; }

        public UserRecord ToRecord(IReadOnlyList<string> roles) =>
            new(Id, Username, PasswordHash, FullName, Email, roles, IsAdmin, BootstrapMarker, UnixMillis.To(CreatedAt));
    }

    private sealed class Membership
    {
        public string UserId { get; set; } = "";
        public string GroupName { get; set; } = "";
    }
}
