using System.Collections.Concurrent;
using Lyndrix.Core.Data;

namespace Lyndrix.Core.Tests.Auth.Support;

/// <summary>An in-memory <see cref="IUserStore"/> for auth tests, with the same rules as the real stores: unique user names,
/// updates by id. It can be made to fail, to test what IAM does when the database does.</summary>
internal sealed class InMemoryUserStore : IUserStore
{
    private readonly ConcurrentDictionary<string, UserRecord> _byId = new(StringComparer.Ordinal);

    public Exception? FailWith { get; set; }

    public int Updates { get; private set; }

    public Task<UserRecord?> FindAsync(string username, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        return Task.FromResult(_byId.Values.FirstOrDefault(u => u.Username == username));
    }

    public Task<IReadOnlyList<UserRecord>> ListAsync(CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        return Task.FromResult<IReadOnlyList<UserRecord>>(_byId.Values.OrderBy(u => u.Username, StringComparer.Ordinal).ToArray());
    }

    public Task CreateAsync(UserRecord user, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        lock (_byId)
        {
            if (_byId.Values.Any(u => u.Username == user.Username) || !_byId.TryAdd(user.Id, user))
            {
                throw new InvalidOperationException($"User '{user.Username}' already exists.");
            }
        }

        return Task.CompletedTask;
    }

    public Task UpdateAsync(UserRecord user, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        if (!_byId.ContainsKey(user.Id))
        {
            throw new InvalidOperationException($"No user with id '{user.Id}'.");
        }

        _byId[user.Id] = user;
        Updates++;
        return Task.CompletedTask;
    }

    private void ThrowIfFailing()
    {
        if (FailWith is { } ex)
        {
            throw ex;
        }
    }
}
