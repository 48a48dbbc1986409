using Lyndrix.Core.Data;
using Lyndrix.Sdk.Auth;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Auth;

/// <summary>The <c>local</c> provider: users in the users table with an Argon2 password hash. A user that does not exist,
/// or has no password (external accounts), is checked against a dummy hash so the answer takes as long as a real one.</summary>
internal sealed class LocalAuthProvider(IUserStore users, PasswordHasher hasher, ILogger<LocalAuthProvider> logger) : IAuthProvider
{
    public string ProviderId => AuthProviderChain.LocalId;

    public string DisplayName => "Local accounts";

    public bool IsConfigured => true;

    public async Task<AuthResult?> AuthenticateAsync(string username, string password, CancellationToken cancellationToken)
    {
        if (password.Length == 0 || password.Length > PasswordPolicy.MaximumLength || !UserNames.IsPlausibleLogin(username))
        {
            return null;
        }

        var user = await users.FindAsync(username, cancellationToken).ConfigureAwait(false);
        var hash = user is not null && UserAccounts.IsLocal(user) ? user.PasswordHash : null;
        if (!await hasher.VerifyAsync(hash, password, cancellationToken).ConfigureAwait(false) || user is null)
        {
            return null;
        }

        if (hasher.NeedsRehash(hash))
        {
            // Users migrated from the original, or hashed with older parameters, move to the current cost on their next login.
            try
            {
                var fresh = await hasher.HashAsync(password, cancellationToken).ConfigureAwait(false);
                await users.UpdateAsync(user with { PasswordHash = fresh }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning("Could not store a fresh password hash for '{User}' ({Error}); the old hash keeps working",
                    UserNames.ForLog(user.Username), ex.GetType().Name);
            }
        }

        return new AuthResult(user.Username, ProviderId)
        {
            FullName = user.FullName,
            Email = user.Email,
            Roles = user.Roles,
        };
    }
}
