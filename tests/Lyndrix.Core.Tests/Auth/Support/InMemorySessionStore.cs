using System.Collections.Concurrent;
using Lyndrix.Core.Data;

namespace Lyndrix.Core.Tests.Auth.Support;

/// <summary>An in-memory <see cref="ISessionStore"/> for auth tests.</summary>
internal sealed class InMemorySessionStore : ISessionStore
{
    private readonly ConcurrentDictionary<string, SessionRecord> _byId = new(StringComparer.Ordinal);

    public IReadOnlyCollection<SessionRecord> All => _byId.Values.ToArray();

    public Task CreateAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        if (!_byId.TryAdd(session.Id, session))
        {
            throw new InvalidOperationException($"Session '{session.Id}' exists.");
        }

        return Task.CompletedTask;
    }

    public Task<SessionRecord?> FindByTokenHashAsync(string tokenHash, CancellationToken cancellationToken) =>
        Task.FromResult(_byId.Values.FirstOrDefault(s => s.TokenHash == tokenHash));

    public Task<IReadOnlyList<SessionRecord>> ListForUserAsync(string username, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<SessionRecord>>(_byId.Values.Where(s => s.Username == username).ToArray());

    public Task<bool> RevokeAsync(string id, DateTimeOffset revokedAt, CancellationToken cancellationToken)
    {
        if (!_byId.TryGetValue(id, out var s))
        {
            return Task.FromResult(false);
        }

        _byId[id] = s with { RevokedAt = s.RevokedAt ?? revokedAt };
        return Task.FromResult(true);
    }

    public Task TouchAsync(string id, DateTimeOffset lastUsedAt, CancellationToken cancellationToken)
    {
        if (_byId.TryGetValue(id, out var s))
        {
            _byId[id] = s with { LastUsedAt = lastUsedAt };
        }

        return Task.CompletedTask;
    }
}
