namespace Lyndrix.Core.Data;

/// <summary>Local users (<c>users</c> table).</summary>
internal interface IUserStore
{
    Task<UserRecord?> FindAsync(string username, CancellationToken cancellationToken);

    Task<IReadOnlyList<UserRecord>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Inserts; throws <see cref="InvalidOperationException"/> when the username exists.</summary>
    Task CreateAsync(UserRecord user, CancellationToken cancellationToken);

    /// <summary>Replaces the row with the same <see cref="UserRecord.Id"/>.</summary>
    Task UpdateAsync(UserRecord user, CancellationToken cancellationToken);
}

/// <param name="PasswordHash">Argon2id PHC string, or null for users that only log in through an external provider.</param>
/// <param name="BootstrapMarker">For bootstrap accounts: a verifier of the environment password last applied, so a password
/// changed through the API survives restarts until the operator changes the environment value.</param>
internal sealed record UserRecord(
    string Id,
    string Username,
    string? PasswordHash,
    string? FullName,
    string? Email,
    IReadOnlyList<string> Roles,
    bool IsAdmin,
    string? BootstrapMarker,
    DateTimeOffset CreatedAt);
