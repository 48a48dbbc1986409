using Lyndrix.Core.Data;
using Microsoft.Extensions.Logging;

namespace Lyndrix.Core.Auth;

/// <summary>
/// Creates the admin and bot accounts from the environment. Unlike the original, a password changed through the API is
/// kept: each bootstrap account remembers (in <see cref="UserRecord.BootstrapMarker"/>) an Argon2 verifier of the
/// environment password it last applied, and the environment value is applied again only when it no longer matches that
/// verifier, i.e. when the operator changed it.
/// </summary>
internal sealed class AccountBootstrapper(IUserStore users, PasswordHasher hasher, AuthSettings settings, TimeProvider time,
    ILogger<AccountBootstrapper> logger)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await EnsureAsync(settings.AdminUser, settings.AdminPassword, settings.AdminEmail, "Lyndrix Administrator",
            [UserAccounts.AdminRole], isAdmin: true, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(settings.BotUser, settings.BotPassword, $"{settings.BotUser}@lyndrix.local", "Lyndrix Bot",
            ["bot"], isAdmin: false, cancellationToken).ConfigureAwait(false);
    }

    private async Task EnsureAsync(string username, string password, string email, string fullName, IReadOnlyList<string> roles,
        bool isAdmin, CancellationToken cancellationToken)
    {
        var existing = await users.FindAsync(username, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            var hash = await hasher.HashAsync(password, cancellationToken).ConfigureAwait(false);
            await users.CreateAsync(new UserRecord(UserAccounts.NewLocalId(), username, hash, fullName, email, roles, isAdmin, hash,
                time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Created bootstrap account '{User}'", username);
            return;
        }

        if (!UserAccounts.IsLocal(existing))
        {
            logger.LogWarning("Bootstrap account '{User}' exists as an account of provider '{Provider}'; left unchanged. " +
                              "Choose another name in the environment if a local account is wanted", username, UserAccounts.ProviderOf(existing));
            return;
        }

        if (existing.BootstrapMarker is not null &&
            await hasher.VerifyAsync(existing.BootstrapMarker, password, cancellationToken).ConfigureAwait(false))
        {
            // The environment still holds the value applied last time: whatever password the account has now stays.
            return;
        }

        if (existing.BootstrapMarker is null &&
            await hasher.VerifyAsync(existing.PasswordHash, password, cancellationToken).ConfigureAwait(false))
        {
            // An account from before markers existed (or from the original) whose password is the environment's: remember it.
            await users.UpdateAsync(existing with { BootstrapMarker = existing.PasswordHash }, cancellationToken).ConfigureAwait(false);
            return;
        }

        var fresh = await hasher.HashAsync(password, cancellationToken).ConfigureAwait(false);
        await users.UpdateAsync(existing with { PasswordHash = fresh, BootstrapMarker = fresh }, cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Applied the new environment password of bootstrap account '{User}'", username);
    }
}
