using Lyndrix.Core.Data;
using Lyndrix.Sdk.Auth;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Auth;

/// <summary>
/// Maps a provider's identity to a user row. Local identities must already exist. An external identity (LDAP, OIDC, a
/// plugin) gets a row of its own, marked by an id <c>ext:&lt;provider&gt;:&lt;random&gt;</c>; its name, e-mail and roles
/// follow the provider at every login. An external identity never takes over a row that belongs to a local user or to
/// another provider: that would let a directory account named <c>admin</c> become the local administrator.
/// </summary>
internal sealed class UserAccounts(IUserStore users, TimeProvider time, ILogger<UserAccounts> logger)
{
    public const string AdminRole = "admin";

    public static bool IsLocal(UserRecord user) => !user.Id.StartsWith("ext:", StringComparison.Ordinal);

    /// <summary>The provider a user row belongs to: <c>local</c> or the external provider's id.</summary>
    public static string ProviderOf(UserRecord user) =>
        IsLocal(user) ? AuthProviderChain.LocalId : user.Id.Split(':')[1];

    public static string NewLocalId() => Guid.NewGuid().ToString("N");

    public async Task<UserRecord?> ResolveAsync(AuthResult identity, CancellationToken cancellationToken)
    {
        var existing = await users.FindAsync(identity.Username, cancellationToken).ConfigureAwait(false);
        if (identity.Provider == AuthProviderChain.LocalId)
        {
            return existing is not null && IsLocal(existing) ? existing : null;
        }

        var isAdmin = identity.Roles.Any(r => string.Equals(r, AdminRole, StringComparison.OrdinalIgnoreCase));
        if (existing is null)
        {
            var created = new UserRecord($"ext:{identity.Provider}:{Guid.NewGuid():N}", identity.Username, null, identity.FullName,
                identity.Email, identity.Roles, isAdmin, null, time.GetUtcNow());
            try
            {
                await users.CreateAsync(created, cancellationToken).ConfigureAwait(false);
                logger.LogInformation("Created account '{User}' for its first sign-in through '{Provider}'",
                    UserNames.ForLog(identity.Username), identity.Provider);
                return created;
            }
            catch (InvalidOperationException)
            {
                // Two first logins raced; the other one created the row.
                existing = await users.FindAsync(identity.Username, cancellationToken).ConfigureAwait(false);
                if (existing is null)
                {
                    throw;
                }
            }
        }

        if (ProviderOf(existing) != identity.Provider)
        {
            logger.LogWarning(
                "Sign-in of '{User}' through '{Provider}' refused: that user name belongs to an account of provider '{Owner}'. " +
                "Rename one of the accounts, or sign in through '{Owner}'",
                UserNames.ForLog(identity.Username), identity.Provider, ProviderOf(existing), ProviderOf(existing));
            return null;
        }

        var updated = existing with { FullName = identity.FullName, Email = identity.Email, Roles = identity.Roles, IsAdmin = isAdmin };
        if (updated.FullName != existing.FullName || updated.Email != existing.Email || updated.IsAdmin != existing.IsAdmin ||
            !updated.Roles.SequenceEqual(existing.Roles))
        {
            await users.UpdateAsync(updated, cancellationToken).ConfigureAwait(false);
        }

        return updated;
    }
}
