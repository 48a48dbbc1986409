namespace Lyndrix.Core.Data;

/// <summary>Login sessions and API keys (<c>sessions</c> table). Only a hash of each token is stored.</summary>
internal interface ISessionStore
{
    Task CreateAsync(SessionRecord session, CancellationToken cancellationToken);

    Task<SessionRecord?> FindByTokenHashAsync(string tokenHash, CancellationToken cancellationToken);

    Task<IReadOnlyList<SessionRecord>> ListForUserAsync(string username, CancellationToken cancellationToken);

    /// <summary>Marks a session revoked; returns false when it does not exist.</summary>
    Task<bool> RevokeAsync(string id, DateTimeOffset revokedAt, CancellationToken cancellationToken);

    Task TouchAsync(string id, DateTimeOffset lastUsedAt, CancellationToken cancellationToken);
}

internal sealed record SessionRecord(
    string Id,
    string Username,
    string TokenHash,
    string Label,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? RevokedAt,
    DateTimeOffset? LastUsedAt);
